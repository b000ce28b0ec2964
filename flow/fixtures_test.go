package flow_test

import (
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

var t0 = flowtest.T0

const reqID = flowtest.RequestID

// fixture is a realistic dev request in state s (zero: not started).
func fixture(s flow.State) flow.Request { return flowtest.RequestIn(s) }

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
	flow.EvQueued:          {ID: "5-dispatch_plan", Kind: flow.EffDispatchPlan},
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
	case flow.EvDestroyed, flow.EvBaseMerged:
		ev.Actor, ev.Target = flow.System, "01900000-0000-7000-8000-0000000000bb"
	case flow.EvQueued:
		ev.Queue = &flow.QueuePlace{Ahead: 2, Workflow: flow.WorkflowPlan}
	}
	return ev
}
