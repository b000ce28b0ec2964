package flow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// outcome is what a rule row checks of one Step.
type outcome struct {
	State     flow.State
	Err       string
	Noop      bool
	Effects   []string // IDs of the effects the step owes
	Owed      []string
	Approvers []string
	Problem   string
	Failed    string // FailedEffect ID
	Seen      int
}

type rule struct {
	name string
	r    flow.Request
	ev   flow.Event
	want outcome
}

func with(r flow.Request, f func(*flow.Request)) flow.Request { f(&r); return r }

func ev(k flow.EventKind, who string, f ...func(*flow.Event)) flow.Event {
	e := flow.Event{Kind: k, Key: "new-key", Actor: actor(who), At: t0.Add(time.Minute)}
	for _, fn := range f {
		fn(&e)
	}
	return e
}

func result(k flow.EventKind, effectID string, f ...func(*flow.Event)) flow.Event {
	e := ev(k, "", f...)
	e.Actor, e.Key, e.EffectID = flow.System, effectID, effectID
	return e
}

func inProd(r *flow.Request) { r.Environment = "prod" }

// baseMergedBy makes an event the merge of request a1b2 (label bucket-a1b2).
func baseMergedBy(e *flow.Event) {
	e.Actor, e.Target, e.Label = flow.System, "01900000-0000-7000-8000-00000000a1b2", "bucket-a1b2"
}

func heldBy(label string) func(*flow.Event) { return func(e *flow.Event) { e.HeldBy = label } }

func effs(ids ...string) []string { return ids }

// drawnFor makes an event a press on a card drawn for plan run id at
// commit sha (Event.PlanRunID, PlanSHA).
func drawnFor(id int64, sha string) func(*flow.Event) {
	return func(e *flow.Event) { e.PlanRunID, e.PlanSHA = id, sha }
}

// cancelledPending is a run GitHub cancelled before it started because a
// newer run took its pending place.
func cancelledPending(w flow.Workflow, id int64) *flow.Run {
	return &flow.Run{Workflow: w, ID: id, HeadSHA: "h1", Status: flow.RunCancelledPending}
}

var (
	card3  = effs("11-record_audit", "12-show_card", "13-reply")
	plan2  = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "h1", Status: flow.RunSucceeded}
	seen10 = 1
)

var rules = []rule{
	{"same key twice is a no-op", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { r.Seen = []string{"new-key"} }),
		ev(flow.EvApprove, "U3"), outcome{State: flow.AwaitingApproval, Noop: true, Seen: 1}},
	{"requester cannot approve own request in prod", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { inProd(r); r.Requester = actor("U2") }),
		ev(flow.EvApprove, "U2"), outcome{State: flow.AwaitingApproval, Err: "you cannot approve your own request in prod; ask another approver"}},
	{"self-approval allowed in dev", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { r.Requester = actor("U2") }),
		ev(flow.EvApprove, "U2"), outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U2"}, Seen: seen10}},
	{"non-approver is denied", fixture(flow.AwaitingApproval),
		ev(flow.EvApprove, "U1"), outcome{State: flow.AwaitingApproval, Err: "you are not an approver for dev"}},
	{"approver through a user group", fixture(flow.AwaitingApproval),
		ev(flow.EvApprove, "U9", func(e *flow.Event) { e.Actor.Groups = []string{"S1"} }),
		outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U9"}, Seen: 1}},
	{"prod: first of two approvals", with(fixture(flow.AwaitingApproval), inProd),
		ev(flow.EvApprove, "U3"), outcome{State: flow.AwaitingApproval, Effects: card3, Approvers: []string{"U3"}, Seen: 1}},
	{"prod: second distinct approver approves", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
		inProd(r)
		r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1"}}
	}), ev(flow.EvApprove, "U4"), outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3", "U4"}, Seen: 1}},
	{"same approver twice is a friendly no-op", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
		inProd(r)
		r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1"}}
	}), ev(flow.EvApprove, "U3"), outcome{State: flow.AwaitingApproval, Err: "you already approved this plan", Approvers: []string{"U3"}}},
	{"approval of an older plan run does not count", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
		inProd(r)
		r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 100, HeadSHA: "h1"}}
	}), ev(flow.EvApprove, "U4"), outcome{State: flow.AwaitingApproval, Effects: card3, Approvers: []string{"U4"}, Seen: 1}},
	{"approval at another commit does not count", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
		inProd(r)
		r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h0"}}
	}), ev(flow.EvApprove, "U3"), outcome{State: flow.AwaitingApproval, Effects: card3, Approvers: []string{"U3"}, Seen: 1}},
	{"approve while planning", fixture(flow.Planning), ev(flow.EvApprove, "U3"),
		outcome{State: flow.Planning, Err: "there is no plan to approve yet — wait for the plan to finish", Owed: effs("9-dispatch_plan")}},
	{"approve when applied", fixture(flow.Applied), ev(flow.EvApprove, "U3"),
		outcome{State: flow.Applied, Err: "this request is already applied", Approvers: []string{"U3"}}},
	{"approve when stale offers re-plan", fixture(flow.Stale), ev(flow.EvApprove, "U3"),
		outcome{State: flow.Stale, Err: "the branch or its base moved after the plan; press Re-plan, then approve the new plan"}},
	{"apply when stale offers re-plan", with(fixture(flow.Stale), func(r *flow.Request) {
		r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1"}}
	}), ev(flow.EvApply, "U1"), outcome{State: flow.Stale, Approvers: []string{"U3"},
		Err: "the branch or its base moved after the plan; press Re-plan, then approve and apply the new plan"}},
	{"apply with approvals of another plan run is refused", with(fixture(flow.Approved), func(r *flow.Request) { r.PlanRun = plan2 }),
		ev(flow.EvApply, "U1"), outcome{State: flow.Approved, Err: "the approvals are for an older plan; approve the current plan first"}},
	{"apply by someone not allowed", fixture(flow.Approved), ev(flow.EvApply, "U4"),
		outcome{State: flow.Approved, Approvers: []string{"U3"}, Err: "you are not allowed to apply in dev"}},
	{"approve while the environment is held is refused", fixture(flow.AwaitingApproval), ev(flow.EvApprove, "U3", heldBy("bucket-a1b2")),
		outcome{State: flow.AwaitingApproval, Err: "dev is held by bucket-a1b2, applied but not merged: approve or apply here once it is merged (Retry merge on its card)"}},
	{"apply while the environment is held is refused", fixture(flow.Approved), ev(flow.EvApply, "U1", heldBy("bucket-a1b2")),
		outcome{State: flow.Approved, Approvers: []string{"U3"}, Err: "dev is held by bucket-a1b2, applied but not merged: approve or apply here once it is merged (Retry merge on its card)"}},
	{"apply owes dispatch of the approved plan run", fixture(flow.Approved), ev(flow.EvApply, "U1"),
		outcome{State: flow.Applying, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_apply"), Approvers: []string{"U3"}, Seen: 1}},
	{"approve on a card of an older plan run is refused", fixture(flow.AwaitingApproval), ev(flow.EvApprove, "U3", drawnFor(100, "h1")),
		outcome{State: flow.AwaitingApproval, Err: "the plan changed since this card: approve the new plan (run 101) on the updated card"}},
	{"approve on a card of the plan at another commit is refused", fixture(flow.AwaitingApproval), ev(flow.EvApprove, "U3", drawnFor(101, "h0")),
		outcome{State: flow.AwaitingApproval, Err: "the plan changed since this card: approve the new plan (run 101) on the updated card"}},
	{"approve on a card of the current plan is accepted", fixture(flow.AwaitingApproval), ev(flow.EvApprove, "U3", drawnFor(101, "h1")),
		outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3"}, Seen: 1}},
	{"typed approve (no plan on the event) approves the current plan", fixture(flow.AwaitingApproval), ev(flow.EvApprove, "U3"),
		outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3"}, Seen: 1}},
	{"approve on a card of an older plan, the new one approved already, says the plan changed", fixture(flow.Approved), ev(flow.EvApprove, "U3", drawnFor(100, "h1")),
		outcome{State: flow.Approved, Approvers: []string{"U3"}, Err: "the plan changed since this card: approve the new plan (run 101) on the updated card"}},
	{"reject on a card of an older plan run is refused", fixture(flow.AwaitingApproval), ev(flow.EvReject, "U3", drawnFor(100, "h1")),
		outcome{State: flow.AwaitingApproval, Err: "the plan changed since this card: reject the new plan (run 101) on the updated card"}},
	{"reject on a card of the current plan is accepted", fixture(flow.AwaitingApproval), ev(flow.EvReject, "U3", drawnFor(101, "h1")),
		outcome{State: flow.Rejected, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-close_change"), Seen: 1}},
	{"apply on a card of an older plan run is refused", fixture(flow.Approved), ev(flow.EvApply, "U1", drawnFor(100, "h1")),
		outcome{State: flow.Approved, Approvers: []string{"U3"}, Err: "the plan changed since this card: apply the new plan (run 101) on the updated card"}},
	{"apply on a card of the current plan is accepted", fixture(flow.Approved), ev(flow.EvApply, "U1", drawnFor(101, "h1")),
		outcome{State: flow.Applying, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_apply"), Approvers: []string{"U3"}, Seen: 1}},
	{"reject on a card of a plan when there is no plan now is refused", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { r.PlanRun = nil }),
		ev(flow.EvReject, "U3", drawnFor(101, "h1")),
		outcome{State: flow.AwaitingApproval, Err: "the plan changed since this card: there is no plan now; the updated card shows where the request is"}},
	{"plan needs no approval in sandbox", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Environment = "sandbox"
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFinished, "9-watch_run", func(e *flow.Event) { e.Run, e.Plan = plan2, &flow.PlanSummary{Create: 1} }),
		outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify")}},
	{"plan TfPilot made again, the same change as an approved plan whose apply was asked for, is applied",
		replanning(func(r *flow.Request) { r.Carry.ApplyBy = &flow.Actor{ID: "U1"} }), samePlan(),
		outcome{State: flow.Applying, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_apply"), Approvers: []string{"U3"}}},
	{"plan that reported errors fails", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFinished, "9-watch_run", func(e *flow.Event) { e.Run, e.Plan = plan2, &flow.PlanSummary{Errored: true} }),
		outcome{State: flow.PlanFailed, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"),
			Problem: "The plan reported errors; see the plan output, then edit or re-plan."}},
	{"plan run at a commit TfPilot did not build makes the request stale", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFinished, "9-watch_run", func(e *flow.Event) {
		e.Run = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "c0ffee0123456789", HeadAuthor: "mallory", Status: flow.RunSucceeded}
		e.Plan = &flow.PlanSummary{Create: 1}
	}), outcome{State: flow.Stale, Effects: effs("11-record_audit", "12-show_card", "13-reply"),
		Problem: "The plan ran on commit c0ffee0 by mallory, not on TfPilot's commit h1: someone pushed to tfpilot/" +
			flowtest.RequestID + ". Press Re-plan to plan TfPilot's change again."}},
	{"failed plan run at a commit TfPilot did not build makes the request stale", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFailed, "9-watch_run", func(e *flow.Event) {
		e.Run = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "c0ffee0123456789", Status: flow.RunFailed}
	}), outcome{State: flow.Stale, Effects: effs("11-record_audit", "12-show_card", "13-reply"),
		Problem: "The plan ran on commit c0ffee0 by an unknown author, not on TfPilot's commit h1: someone pushed to tfpilot/" +
			flowtest.RequestID + ". Press Re-plan to plan TfPilot's change again."}},
	{"plan run cancelled before it started is dispatched again, still planning", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFailed, "9-watch_run", func(e *flow.Event) { e.Run = cancelledPending(flow.WorkflowPlan, 102) }),
		outcome{State: flow.Planning, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_plan")}},
	{"plan run cancelled before it started a fourth time is reported cancelled", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
		r.Redispatches = flow.MaxRedispatches
	}), result(flow.EvPlanFailed, "9-watch_run", func(e *flow.Event) {
		e.Run, e.Error = cancelledPending(flow.WorkflowPlan, 102), "the plan run cancelled before it started"
	}), outcome{State: flow.PlanFailed, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"),
		Problem: "The plan failed: the plan run cancelled before it started. Edit the inputs or re-plan."}},
	{"plan run cancelled otherwise is reported cancelled", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFailed, "9-watch_run", func(e *flow.Event) {
		e.Run, e.Error = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "h1", Status: flow.RunCancelled}, "the plan run cancelled"
	}), outcome{State: flow.PlanFailed, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"),
		Problem: "The plan failed: the plan run cancelled. Edit the inputs or re-plan."}},
	{"apply run cancelled before it started is dispatched again, approvals kept", with(fixture(flow.Applying), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowApply}}
	}), result(flow.EvApplyFailed, "9-watch_run", func(e *flow.Event) { e.Run = cancelledPending(flow.WorkflowApply, 103) }),
		outcome{State: flow.Applying, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_apply"), Approvers: []string{"U3"}}},
	{"apply run cancelled before it started a fourth time is reported cancelled", with(fixture(flow.Applying), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowApply}}
		r.Redispatches = flow.MaxRedispatches
	}), result(flow.EvApplyFailed, "9-watch_run", func(e *flow.Event) {
		e.Run, e.Error = cancelledPending(flow.WorkflowApply, 103), "the apply run cancelled before it started"
	}), outcome{State: flow.ApplyFailed, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3"},
		Problem: "The apply failed: the apply run cancelled before it started. Re-plan to see what is left, or cancel."}},
	{"start with module preset collects inputs", fixture(0), ev(flow.EvStart, "U1", func(e *flow.Event) {
		e.Project, e.Module, e.Environment, e.TriggerID = "demo", "bucket", "dev", "T1"
	}), outcome{State: flow.CollectingInputs, Effects: effs("11-record_audit", "12-show_card", "13-open_modal"), Seen: 1}},
	{"start in an environment one may not request in", fixture(0), ev(flow.EvStart, "U9", func(e *flow.Event) {
		e.Project, e.Module, e.Environment = "demo", "bucket", "prod"
	}), outcome{Err: "you are not allowed to request changes in prod; ask a platform admin to add you to its requesters"}},
	{"inputs still missing", fixture(flow.CollectingInputs), ev(flow.EvSetInputs, "U1", func(e *flow.Event) {
		e.Inputs, e.Missing = map[string]string{"secret": "x"}, []string{"name"}
	}), outcome{State: flow.CollectingInputs, Effects: effs("11-record_audit", "12-show_card"), Seen: 1}},
	{"confirming goes back when an input is missing", fixture(flow.Confirming), ev(flow.EvSetInputs, "U1", func(e *flow.Event) {
		e.Missing = []string{"name"}
	}), outcome{State: flow.CollectingInputs, Effects: effs("11-record_audit", "12-show_card"), Seen: 1}},
	{"only the requester edits", fixture(flow.Confirming), ev(flow.EvEdit, "U2"),
		outcome{State: flow.Confirming, Err: "only the requester can change this request"}},
	{"edit after the plan drops plan, approvals and plan work", with(fixture(flow.Approved), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}, {ID: "8-record_audit", Kind: flow.EffRecordAudit}}
	}), ev(flow.EvEdit, "U1"), outcome{State: flow.CollectingInputs, Effects: card3, Owed: effs("8-record_audit", "11-record_audit", "12-show_card", "13-reply"), Seen: 1}},
	{"re-plan clears approvals and owes a new dispatch", fixture(flow.Approved), ev(flow.EvReplan, "U1"),
		outcome{State: flow.Planning, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_plan"), Seen: 1}},
	{"re-plan from stale rebuilds the change on the current base before planning", fixture(flow.Stale), ev(flow.EvReplan, "U1"),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change"), Seen: 1}},
	{"another request merged: awaiting approval drops its approvals and rebuilds on the new base", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
		inProd(r)
		r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1"}}
	}), ev(flow.EvBaseMerged, "", baseMergedBy), outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change"), Seen: 1}},
	{"another request merged: approved drops its approvals and rebuilds on the new base", with(fixture(flow.Approved), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}}
	}), ev(flow.EvBaseMerged, "", baseMergedBy), outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change"), Seen: 1}},
	{"another request merged: stale rebuilds on the new base by itself", fixture(flow.Stale), ev(flow.EvBaseMerged, "", baseMergedBy),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change"), Seen: 1}},
	{"another request merged while planning: nothing to re-plan here", fixture(flow.Planning), ev(flow.EvBaseMerged, "", baseMergedBy),
		outcome{State: flow.Planning, Owed: effs("9-dispatch_plan"), Err: "there is no plan that another request's merge could make stale"}},
	{"a merge owes re-planning the other requests of the environment", with(fixture(flow.Applied), func(r *flow.Request) {
		r.Change.Merged = false
		r.Owed = []flow.Effect{{ID: "9-merge_change", Kind: flow.EffMergeChange}}
	}), result(flow.EvMerged, "9-merge_change"), outcome{State: flow.Applied, Approvers: []string{"U3"},
		Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-replan_others")}},
	{"change moved after the plan", fixture(flow.AwaitingApproval), ev(flow.EvChangeMoved, "", func(e *flow.Event) {
		e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h2", BaseSHA: "b1"}
	}), outcome{State: flow.Stale, Effects: card3, Seen: 1, Problem: "The branch or its base moved after the plan. Press Re-plan, then approve the new plan."}},
	{"only the base moved after the plan: planned again on it", fixture(flow.AwaitingApproval), ev(flow.EvChangeMoved, "", func(e *flow.Event) {
		e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h1", BaseSHA: "b2"}
	}), outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change"), Seen: 1}},
	{"only the base moved after the approval: planned again on it", fixture(flow.Approved), ev(flow.EvChangeMoved, "", func(e *flow.Event) {
		e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h1", BaseSHA: "b2"}
	}), outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change"), Seen: 1}},
	{"merge found the base moved", with(fixture(flow.Applied), func(r *flow.Request) {
		r.Change.Merged = false
		r.Owed = []flow.Effect{{ID: "9-merge_change", Kind: flow.EffMergeChange}}
	}), result(flow.EvChangeMoved, "9-merge_change"), outcome{State: flow.Stale, Effects: card3, Approvers: []string{"U3"},
		Problem: "The branch or its base moved after the plan. Press Re-plan, then approve the new plan."}},
	{"an apply whose change moved while it waited in the queue is not dispatched: it plans again on the new base", with(fixture(flow.Applying), func(r *flow.Request) {
		r.Owed = []flow.Effect{{ID: "9-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}}
		r.ApplyRun = nil
	}), result(flow.EvChangeMoved, "9-dispatch_apply", func(e *flow.Event) {
		e.Change = &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h1", BaseSHA: "b2"}
	}), outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-open_change")}},
	{"a refused merge leaves the request applied but not merged", with(fixture(flow.Applied), func(r *flow.Request) {
		r.Change.Merged = false
		r.Owed = []flow.Effect{{ID: "9-merge_change", Kind: flow.EffMergeChange}}
	}), result(flow.EvEffectFailed, "9-merge_change", func(e *flow.Event) { e.Error = "Required status check \"plan\" is expected." }),
		outcome{State: flow.AppliedNotMerged, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3"},
			Problem: "The pull request was not merged. Fix what GitHub reports, then press Retry merge."}},
	{"retry merge owes the merge again", fixture(flow.AppliedNotMerged), ev(flow.EvRetryMerge, "U1"),
		outcome{State: flow.Applied, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-merge_change"), Approvers: []string{"U3"}, Seen: 1}},
	{"retry merge by a stranger is denied", fixture(flow.AppliedNotMerged), ev(flow.EvRetryMerge, "U9"),
		outcome{State: flow.AppliedNotMerged, Approvers: []string{"U3"}, Problem: fixture(flow.AppliedNotMerged).Problem,
			Err: "you are not allowed to apply in dev"}},
	{"an applied but unmerged request cannot be cancelled", fixture(flow.AppliedNotMerged), ev(flow.EvCancel, "U1"),
		outcome{State: flow.AppliedNotMerged, Approvers: []string{"U3"}, Problem: fixture(flow.AppliedNotMerged).Problem,
			Err: "this request is already applied; its pull request is not merged: fix what GitHub reports, then press Retry merge"}},
	{"cancel closes the change", fixture(flow.AwaitingApproval), ev(flow.EvCancel, "U1"),
		outcome{State: flow.Cancelled, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-close_change"), Seen: 1}},
	{"cancel before a change exists", fixture(flow.Confirming), ev(flow.EvCancel, "U1"), outcome{State: flow.Cancelled, Effects: card3, Seen: 1}},
	{"cancel while opening keeps open_change owed", fixture(flow.OpeningPR), ev(flow.EvCancel, "U1"),
		outcome{State: flow.Cancelled, Effects: card3, Owed: effs("9-open_change", "11-record_audit", "12-show_card", "13-reply"), Seen: 1}},
	{"a change opened after the cancel is closed", with(fixture(flow.Cancelled), func(r *flow.Request) {
		r.Change = nil
		r.Owed = []flow.Effect{{ID: "9-open_change", Kind: flow.EffOpenChange}}
	}), result(flow.EvChangeOpened, "9-open_change", func(e *flow.Event) { e.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 3} }),
		outcome{State: flow.Cancelled, Effects: effs("11-record_audit", "12-show_card", "13-close_change")}},
	{"a running apply cannot be cancelled", fixture(flow.Applying), ev(flow.EvCancel, "U1"),
		outcome{State: flow.Applying, Approvers: []string{"U3"}, Err: "an apply is running and cannot be cancelled; wait for it to finish"}},
	{"a stranger cannot cancel", fixture(flow.Confirming), ev(flow.EvCancel, "U9"),
		outcome{State: flow.Confirming, Err: "only user U1, who requested it, or an approver or applier named in the dev policy can cancel this request"}},
	{"an approver named in the policy may cancel", fixture(flow.AwaitingApproval), ev(flow.EvCancel, "U3"),
		outcome{State: flow.Cancelled, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-close_change"), Seen: 1}},
	{"an approver through a user group may cancel", fixture(flow.Confirming), ev(flow.EvCancel, "U9", func(e *flow.Event) { e.Actor.Groups = []string{"S1"} }),
		outcome{State: flow.Cancelled, Effects: card3, Seen: 1}},
	{"approvers \"*\" do not let anyone cancel", with(fixture(flow.Confirming), func(r *flow.Request) { r.Environment = "sandbox" }),
		ev(flow.EvCancel, "U2"),
		outcome{State: flow.Confirming, Err: "only user U1, who requested it, or an approver or applier named in the sandbox policy can cancel this request"}},
	{"before an environment is chosen only the requester may cancel", fixture(flow.ChoosingModule), ev(flow.EvCancel, "U3"),
		outcome{State: flow.ChoosingModule, Err: "only user U1, who requested it, can cancel this request"}},
	{"the requester may cancel before choosing", fixture(flow.ChoosingModule), ev(flow.EvCancel, "U1"),
		outcome{State: flow.Cancelled, Effects: card3, Seen: 1}},
	{"requester cannot reject their own plan in prod", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { inProd(r); r.Requester = actor("U2") }),
		ev(flow.EvReject, "U2"), outcome{State: flow.AwaitingApproval, Err: "you cannot reject the plan of your own request in prod; cancel the request instead"}},
	{"non-approver cannot reject", fixture(flow.AwaitingApproval), ev(flow.EvReject, "U1"),
		outcome{State: flow.AwaitingApproval, Err: "you are not an approver for dev, so you cannot reject its plans"}},
	{"reject closes the change", fixture(flow.Approved), ev(flow.EvReject, "U3"),
		outcome{State: flow.Rejected, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-close_change"), Seen: 1}},
	{"effect out of retries shows the problem", fixture(flow.Planning), result(flow.EvEffectFailed, "9-dispatch_plan", func(e *flow.Event) { e.Error = "boom" }),
		outcome{State: flow.Planning, Effects: card3, Failed: "9-dispatch_plan", Problem: "Could not start the plan: boom. Press Retry to try again."}},
	{"retry owes the failed effect under a new ID", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Owed = nil
		r.FailedEffect = &flow.Effect{ID: "9-dispatch_plan", Kind: flow.EffDispatchPlan, LastErr: "boom"}
		r.Problem = "Could not start the plan: boom. Press Retry to try again."
	}), ev(flow.EvRetry, "U1"), outcome{State: flow.Planning, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_plan"), Seen: 1}},
	{"nothing to retry", fixture(flow.Planning), ev(flow.EvRetry, "U1"),
		outcome{State: flow.Planning, Owed: effs("9-dispatch_plan"), Err: "there is nothing to retry"}},
	{"retry of an apply dispatch by a requester who may not apply is denied", applyDispatchFailed(), ev(flow.EvRetry, "U1"),
		outcome{State: flow.Applying, Approvers: []string{"U3"}, Failed: "9-dispatch_apply", Problem: applyDispatchFailed().Problem,
			Err: "you are not allowed to apply in dev"}},
	{"retry of an apply dispatch by an applier owes it again", applyDispatchFailed(), ev(flow.EvRetry, "U3"),
		outcome{State: flow.Applying, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_apply"), Approvers: []string{"U3"}, Seen: 1}},
	{"retry of a plan dispatch by a requester of the environment", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Requester, r.Owed = actor("U2"), nil
		r.FailedEffect = &flow.Effect{ID: "9-dispatch_plan", Kind: flow.EffDispatchPlan, LastErr: "boom"}
	}), ev(flow.EvRetry, "U1"), outcome{State: flow.Planning, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_plan"), Seen: 1}},
	{"retry of watching an apply run by a requester who may not apply is denied", with(applyDispatchFailed(), func(r *flow.Request) {
		r.FailedEffect = &flow.Effect{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowApply, LastErr: "boom"}
	}), ev(flow.EvRetry, "U1"), outcome{State: flow.Applying, Approvers: []string{"U3"}, Failed: "9-watch_run", Problem: applyDispatchFailed().Problem,
		Err: "you are not allowed to apply in dev"}},
	{"a change that moved under a failed apply dispatch makes the request stale", applyDispatchFailed(), ev(flow.EvChangeMoved, "", func(e *flow.Event) {
		e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h2", BaseSHA: "b1"}
	}), outcome{State: flow.Stale, Effects: card3, Approvers: []string{"U3"}, Seen: 1, Problem: "The branch or its base moved after the plan. Press Re-plan, then approve the new plan."}},
	{"a pull request closed under a failed apply dispatch cancels the request", applyDispatchFailed(), ev(flow.EvChangeClosed, "", func(e *flow.Event) {
		e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h1", BaseSHA: "b1", Closed: true}
	}), outcome{State: flow.Cancelled, Effects: card3, Seen: 1}},
	{"a pull request merged by hand before apply in AwaitingApproval: planned from the base", fixture(flow.AwaitingApproval), ev(flow.EvChangeClosed, "", mergedByHand),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-open_change"), Seen: 1}},
	{"a pull request merged by hand before apply in Approved: planned from the base", fixture(flow.Approved), ev(flow.EvChangeClosed, "", mergedByHand),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-open_change"), Seen: 1}},
	{"a pull request merged by hand before apply in Stale: planned from the base", fixture(flow.Stale), ev(flow.EvChangeClosed, "", mergedByHand),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-open_change"), Seen: 1}},
	{"a pull request merged by hand before apply in PlanFailed: planned from the base", fixture(flow.PlanFailed), ev(flow.EvChangeClosed, "", mergedByHand),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-open_change"), Seen: 1}},
	{"a pull request merged by hand before apply in ApplyFailed: planned from the base", fixture(flow.ApplyFailed), ev(flow.EvChangeClosed, "", mergedByHand),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-open_change"), Seen: 1}},
	{"a pull request merged by hand under a failed apply dispatch: planned from the base", applyDispatchFailed(), ev(flow.EvChangeClosed, "", mergedByHand),
		outcome{State: flow.OpeningPR, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-open_change"), Seen: 1}},
	{"a pull request merged by hand is handled once", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { r.Change.Merged, r.Change.Closed = true, true }),
		ev(flow.EvChangeClosed, "", mergedByHand), outcome{State: flow.AwaitingApproval, Err: "there is no pull request awaiting approval or apply to close"}},
	{"a change cannot move under an apply that is running", fixture(flow.Applying), ev(flow.EvChangeMoved, "", func(e *flow.Event) {
		e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h2", BaseSHA: "b1"}
	}), outcome{State: flow.Applying, Approvers: []string{"U3"}, Err: "there is no plan that could be stale"}},
	{"retry after the change moved says to re-plan", fixture(flow.Stale), ev(flow.EvRetry, "U3"),
		outcome{State: flow.Stale, Err: "the branch or its base moved after the plan; press Re-plan, then approve and apply the new plan"}},
	{"retry merge by a requester who may not apply is denied", with(fixture(flow.AppliedNotMerged), func(r *flow.Request) { r.Requester = actor("U2") }),
		ev(flow.EvRetryMerge, "U1"), outcome{State: flow.AppliedNotMerged, Approvers: []string{"U3"}, Problem: fixture(flow.AppliedNotMerged).Problem,
			Err: "you are not allowed to apply in dev"}},
	{"a re-delivered result is a no-op", fixture(flow.Planning), result(flow.EvPlanDispatched, "8-dispatch_plan", func(e *flow.Event) { e.Run = plan2 }),
		outcome{State: flow.Planning, Owed: effs("9-dispatch_plan"), Noop: true}},
	{"a result removes its effect from the outbox", fixture(flow.Planning), result(flow.EvPlanDispatched, "9-dispatch_plan", func(e *flow.Event) { e.Run = plan2 }),
		outcome{State: flow.Planning, Effects: effs("11-record_audit", "12-show_card", "13-watch_run")}},
	{"a result of the wrong kind is refused", fixture(flow.Planning), result(flow.EvChangeOpened, "9-dispatch_plan"),
		outcome{State: flow.Planning, Owed: effs("9-dispatch_plan"), Err: "step change_opened: cannot answer effect 9-dispatch_plan: event does not fit the request's state"}},
	{"a destroy request has no inputs", with(fixture(flow.AwaitingApproval), func(r *flow.Request) { r.Kind = flow.KindDestroy }),
		ev(flow.EvEdit, "U1"), outcome{State: flow.AwaitingApproval, Err: "a destroy request has no inputs to change"}},
	{"destroy needs the right to request", fixture(0), ev(flow.EvStartDestroy, "U9", func(e *flow.Event) {
		e.Target, e.Project, e.Module, e.Environment, e.File = "t", "demo", "bucket", "dev", "envs/dev/tfpilot_t.tf"
	}), outcome{Err: "you are not allowed to request changes in dev"}},
	{"a destroy request's apply owes telling its target", with(fixture(flow.Applying), func(r *flow.Request) {
		r.Kind, r.Target = flow.KindDestroy, "01900000-0000-7000-8000-0000000000bb"
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowApply}}
	}), result(flow.EvApplyFinished, "9-watch_run"), outcome{State: flow.Applied, Approvers: []string{"U3"},
		Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify", "15-merge_change", "16-mark_destroyed")}},
	{"the target records its destroy", fixture(flow.Applied), ev(flow.EvDestroyed, "", func(e *flow.Event) {
		e.Actor, e.Target = flow.System, "01900000-0000-7000-8000-0000000000bb"
	}), outcome{State: flow.Applied, Approvers: []string{"U3"}, Effects: card3, Seen: 1}},
	{"a target applied but not merged records its destroy too", fixture(flow.AppliedNotMerged), ev(flow.EvDestroyed, "", func(e *flow.Event) {
		e.Actor, e.Target = flow.System, "01900000-0000-7000-8000-0000000000bb"
	}), outcome{State: flow.AppliedNotMerged, Approvers: []string{"U3"}, Effects: card3, Seen: 1,
		Problem: "The pull request was not merged. Fix what GitHub reports, then press Retry merge."}},
	{"a destroy recorded already is a no-op", with(fixture(flow.Applied), func(r *flow.Request) {
		r.DestroyedBy, r.DestroyedAt = "01900000-0000-7000-8000-0000000000bb", t0
	}), ev(flow.EvDestroyed, "", func(e *flow.Event) { e.Actor, e.Target = flow.System, "01900000-0000-7000-8000-0000000000bb" }),
		outcome{State: flow.Applied, Approvers: []string{"U3"}, Noop: true}},
	{"approve after the destroy says so", with(fixture(flow.Applied), func(r *flow.Request) {
		r.DestroyedBy, r.DestroyedAt = "01900000-0000-7000-8000-0000000000bb", t0
	}), ev(flow.EvApprove, "U3"), outcome{State: flow.Applied, Approvers: []string{"U3"},
		Err: "this request was applied, then destroyed by request 0000000000bb"}},
	{"seen keys are bounded", with(fixture(flow.Confirming), func(r *flow.Request) {
		for i := range flow.SeenLimit {
			r.Seen = append(r.Seen, fmt.Sprint("k", i))
		}
	}), ev(flow.EvCancel, "U1"), outcome{State: flow.Cancelled, Effects: card3, Seen: flow.SeenLimit}},
}

// applyDispatchFailed is a dev request approved by U3 and requested by U2
// whose apply dispatch ran out of retries: U1 may request in dev but is
// neither an approver nor the requester, so may not apply.
func applyDispatchFailed() flow.Request {
	r := fixture(flow.Applying)
	r.Requester, r.ApplyRun = actor("U2"), nil
	r.FailedEffect = &flow.Effect{ID: "9-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101, LastErr: "boom"}
	r.Problem = "Could not start the apply: boom. Press Retry to try again."
	return r
}

// mergedByHand makes a change_closed event of a pull request merged outside
// TfPilot.
func mergedByHand(e *flow.Event) {
	e.Actor, e.Change = flow.System, &flow.Change{Branch: "tfpilot/" + reqID, HeadSHA: "h1", BaseSHA: "b1", Closed: true, Merged: true}
}

// ruleEdges are the state-changing transitions the rule rows drive.
func ruleEdges() []flow.Edge {
	var out []flow.Edge
	for _, r := range rules {
		if r.want.Err == "" && !r.want.Noop && r.want.State != r.r.State {
			out = append(out, flow.Edge{From: r.r.State, Event: r.ev.Kind, To: r.want.State})
		}
	}
	return out
}

func TestStepRules(t *testing.T) {
	for _, tc := range rules {
		t.Run(tc.name, func(t *testing.T) {
			got, effects, err := flow.Step(tc.r, tc.ev, flowtest.Policy())
			if diff := cmp.Diff(tc.want, project(tc.r, got, effects, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// project reduces a step's result to what rule rows check.
func project(in, got flow.Request, effects []flow.Effect, err error) outcome {
	o := outcome{State: got.State, Approvers: flow.CurrentApprovers(&got), Problem: got.Problem, Seen: len(got.Seen)}
	if err != nil {
		o.Err = err.Error()
		o.Noop = false
	} else if effects == nil && cmp.Equal(in, got) {
		o.Noop = true
	}
	for _, e := range effects {
		o.Effects = append(o.Effects, e.ID)
	}
	var owed []string
	for _, e := range got.Owed {
		owed = append(owed, e.ID)
	}
	if !cmp.Equal(owed, o.Effects) {
		o.Owed = owed
	}
	if got.FailedEffect != nil {
		o.Failed = got.FailedEffect.ID
	}
	return o
}

// TestRedispatchSaysSo: a run cancelled before it started is dispatched
// again with a new key, the reply says which run and how often, and the
// apply dispatches the same approved plan run.
func TestRedispatchSaysSo(t *testing.T) {
	for _, tc := range []struct {
		state     flow.State
		kind      flow.EventKind
		workflow  flow.Workflow
		before    int
		wantReply string
		wantDisp  flow.Effect
	}{
		{flow.Planning, flow.EvPlanFailed, flow.WorkflowPlan, 0,
			"GitHub cancelled the queued plan run 102 before it started (a newer run took its place); dispatched it again (1 of 3).",
			flow.Effect{ID: "14-dispatch_plan", Kind: flow.EffDispatchPlan}},
		{flow.Applying, flow.EvApplyFailed, flow.WorkflowApply, 2,
			"GitHub cancelled the queued apply run 102 before it started (a newer run took its place); dispatched it again (3 of 3).",
			flow.Effect{ID: "14-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}},
	} {
		t.Run(tc.state.String(), func(t *testing.T) {
			r := with(fixture(tc.state), func(r *flow.Request) {
				r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: tc.workflow}}
				r.Redispatches = tc.before
			})
			got, effects, err := flow.Step(r, result(tc.kind, "9-watch_run", func(e *flow.Event) { e.Run = cancelledPending(tc.workflow, 102) }), flowtest.Policy())
			if err != nil {
				t.Fatal(err)
			}
			type view struct {
				Redispatches int
				Reply        string
				Dispatch     flow.Effect
				Approvals    int
			}
			want := view{tc.before + 1, tc.wantReply, tc.wantDisp, len(r.Approvals)}
			gotV := view{Redispatches: got.Redispatches, Approvals: len(got.Approvals)}
			for _, e := range effects {
				switch e.Kind {
				case flow.EffReply:
					gotV.Reply = e.Text
				case flow.EffDispatchPlan, flow.EffDispatchApply:
					gotV.Dispatch = e
				}
			}
			if diff := cmp.Diff(want, gotV); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
