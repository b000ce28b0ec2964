package flow_test

import (
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

const reqID = "01900000-0000-7000-8000-0000000000aa"

// fixture is a realistic dev request in state s (zero: not started).
func fixture(s flow.State) flow.Request {
	r := flow.Request{ID: reqID, Kind: flow.KindCreate, Requester: actor("U1"), CreatedAt: t0, Seq: 10,
		Thread: flow.Thread{Channel: "C1", TS: "1.1"}}
	if s == 0 {
		return r
	}
	r.State = s
	r.Label = "0000000000aa"
	if s == flow.ChoosingModule {
		return r
	}
	r.Project, r.Environment, r.Module = "demo", "dev", "bucket"
	r.Sensitive = []string{"secret"}
	if s == flow.CollectingInputs {
		return r
	}
	r.Inputs = map[string]string{"name": "logs-1", "secret": "hunter2"}
	switch s {
	case flow.Confirming:
		return r
	case flow.OpeningPR:
		r.Owed = []flow.Effect{{ID: "9-open_change", Kind: flow.EffOpenChange}}
		return r
	case flow.Cancelled, flow.Rejected:
		r.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: "h1", BaseSHA: "b1", Closed: true}
		return r
	}
	r.File = "envs/dev/tfpilot_0000000000aa.tf"
	r.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: "h1", BaseSHA: "b1"}
	if s == flow.Planning {
		r.Owed = []flow.Effect{{ID: "9-dispatch_plan", Kind: flow.EffDispatchPlan}}
		return r
	}
	r.PlanRun = &flow.Run{Workflow: flow.WorkflowPlan, ID: 101, HeadSHA: "h1", Status: flow.RunSucceeded}
	r.Plan = &flow.PlanSummary{Create: 1}
	if s == flow.PlanFailed {
		r.Plan.Errored = true
		return r
	}
	if s == flow.AwaitingApproval || s == flow.Stale {
		return r
	}
	r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}
	if s == flow.Approved {
		return r
	}
	r.ApplyRun = &flow.Run{Workflow: flow.WorkflowApply, ID: 201, HeadSHA: "h1"}
	if s == flow.Applied {
		r.Change.Merged = true
	}
	return r
}

// answered is the effect each result event answers in the pair table.
var answered = map[flow.EventKind]flow.Effect{
	flow.EvChangeOpened:    {ID: "5-open_change", Kind: flow.EffOpenChange},
	flow.EvPlanDispatched:  {ID: "5-dispatch_plan", Kind: flow.EffDispatchPlan},
	flow.EvPlanFinished:    {ID: "5-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan},
	flow.EvPlanFailed:      {ID: "5-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan},
	flow.EvApplyDispatched: {ID: "5-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101},
	flow.EvApplyFinished:   {ID: "5-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowApply},
	flow.EvApplyFailed:     {ID: "5-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowApply},
	flow.EvMerged:          {ID: "5-merge_change", Kind: flow.EffMergeChange},
	flow.EvEffectFailed:    {ID: "5-dispatch_plan", Kind: flow.EffDispatchPlan},
	flow.EvEffectDone:      {ID: "5-show_card", Kind: flow.EffShowCard},
	flow.EvThreadStarted:   {ID: "5-show_card", Kind: flow.EffShowCard},
}

// pairEvent is the plausible event of kind k against r (adjusting r so a
// result event has an effect to answer and a retry has something to retry).
func pairEvent(r *flow.Request, k flow.EventKind) flow.Event {
	ev := flow.Event{Kind: k, Key: "key-" + k.String(), Actor: actor("U1"), At: t0.Add(time.Minute)}
	if eff, ok := answered[k]; ok {
		if r.State != 0 {
			r.Owed = append(r.Owed, eff)
		}
		ev.Actor, ev.Key, ev.EffectID = flow.System, eff.ID, eff.ID
	}
	switch k {
	case flow.EvStart:
		ev.Thread = &flow.Thread{Channel: "C1"}
	case flow.EvStartDestroy:
		ev.Target, ev.Project, ev.Module, ev.Environment = "01900000-0000-7000-8000-0000000000bb", "demo", "bucket", "dev"
		ev.Label, ev.File = "0000000000bb", "envs/dev/tfpilot_0000000000bb.tf"
	case flow.EvChooseModule:
		ev.Project, ev.Module, ev.Environment = "demo", "bucket", "dev"
	case flow.EvSetInputs:
		ev.Inputs, ev.Missing = map[string]string{"name": "logs-2"}, []string{}
	case flow.EvApprove, flow.EvReject:
		ev.Actor = actor("U3")
	case flow.EvRetry:
		r.FailedEffect = &flow.Effect{ID: "4-dispatch_plan", Kind: flow.EffDispatchPlan, LastErr: "boom"}
	case flow.EvChangeOpened:
		ev.Change, ev.File = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: "h1", BaseSHA: "b1"}, "envs/dev/tfpilot_0000000000aa.tf"
	case flow.EvPlanDispatched:
		ev.Run = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102}
	case flow.EvPlanFinished:
		ev.Run, ev.Plan = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "h1", Status: flow.RunSucceeded}, &flow.PlanSummary{Create: 1}
	case flow.EvPlanFailed, flow.EvApplyFailed, flow.EvEffectFailed:
		ev.Error = "boom"
	case flow.EvApplyDispatched:
		ev.Run = &flow.Run{Workflow: flow.WorkflowApply, ID: 202}
	case flow.EvApplyFinished:
		ev.Run = &flow.Run{Workflow: flow.WorkflowApply, ID: 202, Status: flow.RunSucceeded}
	case flow.EvMerged:
		ev.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: "h1", BaseSHA: "b1", Merged: true}
	case flow.EvChangeMoved:
		ev.Actor = flow.System
		ev.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: "h2", BaseSHA: "b1"}
	case flow.EvThreadStarted:
		ev.Thread = &flow.Thread{Channel: "C1", TS: "2.2"}
	case flow.EvDestroyed:
		ev.Actor, ev.Target = flow.System, "01900000-0000-7000-8000-0000000000bb"
	}
	return ev
}
