package flow_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// waitFor polls request id until cond holds (5 s at most).
func (h *harness) waitFor(id, what string, cond func(*flow.Request) bool) *flow.Request {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := h.get(id)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: never %s (state %s, queue %+v, owed %v, problem %q)", id, what, r.State, r.Queue, r.Owed, r.Problem)
		}
		time.Sleep(time.Millisecond)
	}
}

// submit opens a dev (or env) request with its inputs set and confirms it.
func (h *harness) submit(env string) string {
	h.t.Helper()
	r := h.open(env)
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	return r.ID
}

func queuedAt(ahead int) func(*flow.Request) bool {
	return func(r *flow.Request) bool { return r.Queue != nil && r.Queue.Ahead == ahead }
}

func historyNotes(r *flow.Request) []string {
	var out []string
	for _, t := range r.History {
		out = append(out, t.Note)
	}
	return out
}

// TestEngineQueueRunsOneAtATime: requests of one environment submitted
// together run their plans one after another, first come first served —
// while the first runs the others wait with 1, 2 and 3 runs ahead, and no
// run is dispatched while another of the environment has not finished —
// each dispatched once; another environment does not wait for them.
func TestEngineQueueRunsOneAtATime(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.Polls = 2
	gate := ports.Runs.Block("Status:plan")
	h := newHarness(t, ports, "a")
	ids := []string{h.submit("dev")}
	<-gate.Entered()
	for i := 1; i < 4; i++ {
		ids = append(ids, h.submit("dev"))
		h.waitFor(ids[i], "in line", queuedAt(i))
	}
	prod := h.submit("prod")
	h.waitFor(prod, "dispatched", func(*flow.Request) bool { return ports.Runs.Count(prod, flow.WorkflowPlan) == 1 })
	for _, id := range ids[1:] {
		if n := ports.Runs.Count(id, flow.WorkflowPlan); n != 0 {
			t.Fatalf("%s dispatched %d plan runs while the first of dev ran", id, n)
		}
	}
	gate.Release()
	ports.Runs.Clear("Status:plan")
	h.settle()
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d runs were dispatched while another run of their environment had not finished", n)
	}
	var order []string
	for _, d := range ports.Runs.Dispatches() {
		if d.Environment == "dev" {
			order = append(order, d.RequestID)
		}
	}
	if diff := cmp.Diff(ids, order); diff != "" {
		t.Errorf("dev dispatch order (-arrival +dispatched):\n%s", diff)
	}
	for i, id := range append(ids, prod) {
		r := h.get(id)
		if r.State != flow.AwaitingApproval || r.Queue != nil {
			t.Errorf("%s: state %s queue %+v problem %q, want awaiting_approval and out of the queue", id, r.State, r.Queue, r.Problem)
		}
		if n := ports.Runs.Count(id, flow.WorkflowPlan); n != 1 {
			t.Errorf("%s: %d plan runs, want 1", id, n)
		}
		if i > 0 && i < len(ids) && !slices.Contains(historyNotes(r), fmt.Sprintf("plan queued: %s ahead in dev", map[int]string{1: "1 run", 2: "2 runs", 3: "3 runs"}[i])) {
			t.Errorf("%s: history %q lacks its first place", id, historyNotes(r))
		}
	}
	q, err := ports.Store.Queue(context.Background(), "demo", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Entries) > 1 {
		t.Errorf("queue keeps %d entries after every run ended: %+v", len(q.Entries), q.Entries)
	}
}

// TestEngineQueueWaitsForForeignRun: a run TfPilot did not dispatch (by
// hand, or a scheduled one) occupies the environment: the plan waits,
// showing one run ahead, and is dispatched once it ends.
func TestEngineQueueWaitsForForeignRun(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.SetForeign("dev", 1)
	h := newHarness(t, ports, "a")
	id := h.submit("dev")
	r := h.waitFor(id, "queued behind the foreign run", queuedAt(1))
	if diff := cmp.Diff(&flow.QueuePlace{Ahead: 1, Workflow: flow.WorkflowPlan, Foreign: true}, r.Queue); diff != "" {
		t.Errorf("place (-want +got):\n%s", diff)
	}
	if n := ports.Runs.Count(id, flow.WorkflowPlan); n != 0 {
		t.Fatalf("%d plan runs dispatched while a foreign run occupies dev", n)
	}
	if r.State != flow.Planning {
		t.Errorf("state %s, want planning", r.State)
	}
	ports.Runs.SetForeign("dev", 0)
	h.settle()
	r = h.get(id)
	if r.State != flow.AwaitingApproval || r.Queue != nil || ports.Runs.Count(id, flow.WorkflowPlan) != 1 {
		t.Errorf("after the foreign run: state %s queue %+v runs %d", r.State, r.Queue, ports.Runs.Count(id, flow.WorkflowPlan))
	}
	if !slices.Contains(historyNotes(r), "plan queued: 1 run ahead in dev (not started by TfPilot)") {
		t.Errorf("history %q lacks the queued line", historyNotes(r))
	}
}

// TestEngineQueueCancelWhileQueued: a request cancelled while it waits
// leaves the queue — the next one counts one run ahead, not two — and its
// card no longer shows a place.
func TestEngineQueueCancelWhileQueued(t *testing.T) {
	ports := flowtest.NewPorts()
	gate := ports.Runs.Block("Status:plan")
	h := newHarness(t, ports, "a")
	a := h.submit("dev")
	<-gate.Entered()
	b := h.submit("dev")
	h.waitFor(b, "queued behind A", queuedAt(1))
	h.handle(b, flow.Event{Kind: flow.EvCancel, Actor: actor("U1")})
	if r := h.get(b); r.State != flow.Cancelled || r.Queue != nil {
		t.Errorf("B: state %s queue %+v, want cancelled without a place", r.State, r.Queue)
	}
	c := h.submit("dev")
	h.waitFor(c, "queued behind A only", queuedAt(1))
	gate.Release()
	ports.Runs.Clear("Status:plan")
	h.settle()
	for _, id := range []string{a, c} {
		if r := h.get(id); r.State != flow.AwaitingApproval {
			t.Errorf("%s: state %s problem %q", id, r.State, r.Problem)
		}
	}
	if n := ports.Runs.Count(b, flow.WorkflowPlan); n != 0 {
		t.Errorf("cancelled B dispatched %d plan runs", n)
	}
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d overlapping runs", n)
	}
}

// TestEngineApplyHoldsTheQueueUntilMerged: an apply occupies its
// environment until its merge lands: a plan submitted meanwhile waits and
// runs after the merge, on the new base.
func TestEngineApplyHoldsTheQueueUntilMerged(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a := h.toAwaiting("dev")
	gate := ports.Repo.Block("MergeChange")
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	<-gate.Entered()
	b := h.submit("dev")
	h.waitFor(b, "queued behind A's apply", queuedAt(1))
	if n := ports.Runs.Count(b, flow.WorkflowPlan); n != 0 {
		t.Fatalf("B planned while A's merge was owed")
	}
	gate.Release()
	ports.Repo.Clear("MergeChange")
	h.settle()
	if r := h.get(a); r.State != flow.Applied || !r.Change.Merged {
		t.Fatalf("A: state %s", r.State)
	}
	rb := h.get(b)
	if rb.State != flow.AwaitingApproval || ports.Runs.Count(b, flow.WorkflowPlan) != 1 {
		t.Errorf("B: state %s runs %d problem %q", rb.State, ports.Runs.Count(b, flow.WorkflowPlan), rb.Problem)
	}
	if r := h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
		t.Errorf("B planned after the merge: approve leads to %s (problem %q), want approved without a re-plan", r.State, r.Problem)
	}
}

// TestEngineQueueSurvivesRestart: a replica stops while one request's plan
// runs and another's waits; the next replica keeps both places: the
// waiting one is dispatched once, after the first, never beside it.
func TestEngineQueueSurvivesRestart(t *testing.T) {
	ports := flowtest.NewPorts()
	gate := ports.Runs.Block("Status:plan")
	h1 := newHarness(t, ports, "one")
	a := h1.submit("dev")
	<-gate.Entered()
	b := h1.submit("dev")
	h1.waitFor(b, "queued", queuedAt(1))
	h1.stop()
	gate.Release()
	ports.Runs.Clear("Status:plan")
	ports.Clock.Advance(2 * time.Minute) // replica one's leases expire
	h2 := newHarness(t, ports, "two")
	h2.settle()
	for _, id := range []string{a, b} {
		if r := h2.get(id); r.State != flow.AwaitingApproval || ports.Runs.Count(id, flow.WorkflowPlan) != 1 {
			t.Errorf("%s: state %s, %d plan runs", id, r.State, ports.Runs.Count(id, flow.WorkflowPlan))
		}
	}
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d overlapping runs", n)
	}
}

// TestQueueLine: running entries first, then waiting applies, then
// waiting plans, each by arrival.
func TestQueueLine(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	q := flow.Queue{Entries: []flow.QueueEntry{
		{RequestID: "p1", Workflow: flow.WorkflowPlan, Since: at(1)},
		{RequestID: "a2", Workflow: flow.WorkflowApply, Since: at(3)},
		{RequestID: "r", Workflow: flow.WorkflowPlan, Since: at(4), Running: true},
		{RequestID: "a1", Workflow: flow.WorkflowApply, Since: at(2)},
		{RequestID: "p0", Workflow: flow.WorkflowPlan, Since: at(0)},
	}}
	var got []string
	for _, e := range q.Line() {
		got = append(got, e.RequestID)
	}
	if diff := cmp.Diff([]string{"r", "a1", "a2", "p0", "p1"}, got); diff != "" {
		t.Errorf("line (-want +got):\n%s", diff)
	}
}

// TestQueueEntryLive: an entry stands while its request owes its dispatch,
// follows its run, or has not merged what its apply applied.
func TestQueueEntryLive(t *testing.T) {
	plan := flow.QueueEntry{Workflow: flow.WorkflowPlan, Effect: "5-dispatch_plan"}
	running := plan
	running.Running = true
	apply := flow.QueueEntry{Workflow: flow.WorkflowApply, Effect: "9-dispatch_apply", Running: true}
	with := func(s flow.State, owed ...flow.Effect) *flow.Request {
		r := fixture(s)
		r.Owed = owed
		return &r
	}
	for _, tc := range []struct {
		name string
		e    flow.QueueEntry
		r    *flow.Request
		want bool
	}{
		{"request gone", plan, nil, false},
		{"waits for its dispatch", plan, with(flow.Planning, flow.Effect{ID: "5-dispatch_plan", Kind: flow.EffDispatchPlan}), true},
		{"a redispatch keeps the place", plan, with(flow.Planning, flow.Effect{ID: "7-dispatch_plan", Kind: flow.EffDispatchPlan}), true},
		{"cancelled", plan, with(flow.Cancelled), false},
		{"follows its run", running, with(flow.Planning, flow.Effect{ID: "6-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}), true},
		{"a waiting entry does not stand on a watch", plan, with(flow.Planning, flow.Effect{ID: "6-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}), false},
		{"plan ended", running, with(flow.AwaitingApproval), false},
		{"apply not merged yet", apply, with(flow.Applied, flow.Effect{ID: "11-merge_change", Kind: flow.EffMergeChange}), true},
		{"apply merged", apply, with(flow.Applied), false},
		{"merge refused: the queue moves on (the hold stays)", apply, with(flow.AppliedNotMerged), false},
		{"apply failed", apply, with(flow.ApplyFailed), false},
	} {
		if got := tc.e.Live(tc.r); got != tc.want {
			t.Errorf("%s: Live = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestEngineQueuedApplyReplansAfterAnotherMerge: B's apply was accepted
// while A's ran; when B's turn comes A has merged and moved the base, so
// B's saved plan is out of date: B's apply is never dispatched, B plans
// again on the new base by itself, and its new plan — not the same change
// here (TestEngineQueuedApplyCarriesOver is the case where it is) — can be
// approved and applied.
func TestEngineQueuedApplyReplansAfterAnotherMerge(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a, b, gate := h.applyQueuedBehindApply()
	mod := "module.tfpilot_" + h.get(b).Label
	ports.Runs.EditPlans(func(id string, p *flow.PlanSummary) {
		if id == b {
			p.ModuleDigests[mod] = "changed since" // a provider's new default, say
		}
	})
	gate.Release()
	ports.Runs.Clear("Status:apply")
	h.settle()
	if r := h.get(a); r.State != flow.Applied || !r.Change.Merged {
		t.Fatalf("A: state %s", r.State)
	}
	rb := h.get(b)
	if rb.State != flow.AwaitingApproval || ports.Runs.Count(b, flow.WorkflowApply) != 0 || ports.Runs.Count(b, flow.WorkflowPlan) != 2 {
		t.Fatalf("B: state %s, %d apply runs, %d plan runs (problem %q); want a second plan and no apply",
			rb.State, ports.Runs.Count(b, flow.WorkflowApply), ports.Runs.Count(b, flow.WorkflowPlan), rb.Problem)
	}
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(b); r.State != flow.Applied || !r.Change.Merged {
		t.Errorf("B after its new plan: state %s problem %q", r.State, r.Problem)
	}
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d overlapping runs", n)
	}
}

// TestEngineApplyCarriesPlanRunAttempt: an apply dispatch names the
// attempt of the plan run that was approved, which apply.yml checks.
func TestEngineApplyCarriesPlanRunAttempt(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	plan := h.get(id).PlanRun
	for _, d := range ports.Runs.Dispatches() {
		if d.Workflow == flow.WorkflowApply && (d.PlanRunID != plan.ID || d.PlanRunAttempt != plan.Attempt || d.PlanRunAttempt == 0) {
			t.Errorf("apply dispatch names plan run %d attempt %d, want %d attempt %d", d.PlanRunID, d.PlanRunAttempt, plan.ID, plan.Attempt)
		}
	}
}

// applyQueuedBehindApply approves two dev requests, A and B, starts A's
// apply and holds its run, then applies B, whose apply waits in the queue
// behind A's; the gate releases A's run.
func (h *harness) applyQueuedBehindApply() (a, b string, gate *flowtest.Gate) {
	h.t.Helper()
	a, b = h.toAwaiting("dev"), h.toAwaiting("dev")
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	gate = h.ports.Runs.Block("Status:apply")
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	<-gate.Entered()
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.waitFor(b, "queued behind A's apply", queuedAt(1))
	return a, b, gate
}
