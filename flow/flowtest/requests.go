package flowtest

import (
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// T0 is the time of the fixtures.
var T0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// RequestID is the ID of the fixtures.
const RequestID = "01900000-0000-7000-8000-0000000000aa"

// RequestIn is a realistic dev request of project demo, module bucket,
// requested by U1, in state s (zero: not started), as a surface or the
// engine would find it: a plan and its approval where the state has them.
func RequestIn(s flow.State) flow.Request {
	r := flow.Request{ID: RequestID, Kind: flow.KindCreate, Requester: person("U1"), CreatedAt: T0, Seq: 10,
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
	r.Inputs = map[string]string{"name": "logs-1", "secret": SecretARN}
	switch s {
	case flow.Confirming:
		return r
	case flow.OpeningPR:
		r.Owed = []flow.Effect{{ID: "9-open_change", Kind: flow.EffOpenChange}}
		return r
	case flow.Cancelled, flow.Rejected:
		r.Change = &flow.Change{Branch: "tfpilot/" + RequestID, Number: 7, HeadSHA: "h1", BaseSHA: "b1", Closed: true}
		return r
	}
	r.File = "envs/dev/tfpilot_0000000000aa.tf"
	r.Change = &flow.Change{Branch: "tfpilot/" + RequestID, Number: 7, HeadSHA: "h1", BaseSHA: "b1"}
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
	r.Approvals = []flow.Approval{{Actor: person("U3"), PlanRunID: 101, HeadSHA: "h1", At: T0}}
	if s == flow.Approved {
		return r
	}
	r.ApplyRun = &flow.Run{Workflow: flow.WorkflowApply, ID: 201, HeadSHA: "h1"}
	switch s {
	case flow.Applied:
		r.Change.Merged = true
	case flow.AppliedNotMerged:
		r.MergeRefusal = "At least 1 approving review is required by reviewers with write access."
		r.Problem = "The pull request was not merged. Fix what GitHub reports, then press Retry merge."
	}
	return r
}

// person is a user with a display name.
func person(id string) flow.Actor { return flow.Actor{ID: id, Name: "user " + id} }
