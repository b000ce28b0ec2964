package flow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// Attacks on the run queue (issue 13 §1 and §4); see docs/RELIABILITY.md,
// "Run queue attacks (issue 13)".

func inState(s flow.State) func(*flow.Request) bool {
	return func(r *flow.Request) bool { return r.State == s }
}

// checkRuns fails t unless no run overlapped another of its environment and
// each of ids dispatched want plan and apply runs.
func checkRuns(t *testing.T, ports *flowtest.Ports, ids []string, plans, applies int) {
	t.Helper()
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d runs dispatched while another run of their environment had not finished", n)
	}
	for _, id := range ids {
		if p, a := ports.Runs.Count(id, flow.WorkflowPlan), ports.Runs.Count(id, flow.WorkflowApply); p != plans || a != applies {
			t.Errorf("%s: %d plan and %d apply runs, want %d and %d", id, p, a, plans, applies)
		}
	}
}

// TestQueueAttackReplicasDoubleClick: two replicas share one store; six
// requests in dev, submitted on either, are each approved and applied by
// a person who clicks every button on both replicas at once, pressing
// Re-plan when another merge moved the base. Never two runs at once in
// dev; each request applies exactly once.
func TestQueueAttackReplicasDoubleClick(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.Polls = 2
	hs := []*harness{newHarness(t, ports, "one"), newHarness(t, ports, "two")}
	var ids []string
	for i := range 6 {
		ids = append(ids, hs[i%2].submit("dev"))
	}
	deadline := time.Now().Add(20 * time.Second)
	for done := 0; done < len(ids); {
		if time.Now().After(deadline) {
			for _, id := range ids {
				r := hs[0].get(id)
				t.Logf("%s: %s owed %v queue %+v problem %q", id, r.State, r.Owed, r.Queue, r.Problem)
			}
			t.Fatal("requests never all applied")
		}
		done = 0
		for _, id := range ids {
			r := hs[0].get(id)
			var kind flow.EventKind
			switch {
			case r.State == flow.Applied && r.Change.Merged && len(r.Owed) == 0:
				done++
				continue
			case r.State == flow.AwaitingApproval:
				kind = flow.EvApprove
			case r.State == flow.Approved:
				kind = flow.EvApply
			case r.State == flow.Stale:
				kind = flow.EvReplan
			case r.State == flow.Cancelled || r.State == flow.Rejected || r.Problem != "":
				t.Fatalf("%s stuck in %s: %s", id, r.State, r.Problem)
			default:
				continue
			}
			var wg sync.WaitGroup
			for i, h := range hs {
				wg.Go(func() {
					who := "U1"
					if kind == flow.EvApprove {
						who = "U3"
					}
					h.eng.Handle(context.Background(), id, flow.Event{Kind: kind, Key: fmt.Sprintf("%s-%d", h.key(), i), Actor: actor(who)}) //nolint:errcheck // the second click may be refused
				})
			}
			wg.Wait()
		}
		time.Sleep(time.Millisecond)
	}
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d overlapping runs", n)
	}
	for _, id := range ids {
		if n := ports.Runs.Count(id, flow.WorkflowApply); n != 1 {
			t.Errorf("%s: %d apply runs, want 1", id, n)
		}
	}
}

// TestQueueAttackKilledAtTurn: a replica dies at each point of a turn —
// after marking its entry running but before the run is dispatched, after the dispatch but before
// its result is saved, and while an apply's merge is owed — with another
// request waiting behind. (The rebuild of a plan's change at its turn
// lies between the two plan points.) The next replica dispatches each run exactly
// once, never two at once, and the queue ends empty of live entries.
func TestQueueAttackKilledAtTurn(t *testing.T) {
	for _, tc := range []struct {
		op    string
		apply bool
	}{
		{"Dispatch:plan", false}, {"Dispatch:plan:done", false},
		{"Dispatch:apply", true}, {"Dispatch:apply:done", true}, {"MergeChange", true}, {"MergeChange:done", true},
	} {
		t.Run(tc.op, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h1 := newHarness(t, ports, "one")
			var a string
			var gate *flowtest.Gate
			if tc.apply {
				a = h1.toAwaiting("dev")
				h1.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
				gate = block(ports, tc.op)
				h1.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
			} else {
				gate = block(ports, tc.op)
				a = h1.submit("dev")
			}
			<-gate.Entered()
			b := h1.submit("dev")
			h1.waitFor(b, "queued behind A", queuedAt(1))
			h1.stop()
			gate.Release()
			clearOp(ports, tc.op)
			ports.Clock.Advance(2 * time.Minute)
			h2 := newHarness(t, ports, "two")
			h2.settle()
			want := flow.AwaitingApproval
			if tc.apply {
				want = flow.Applied
			}
			if r := h2.get(a); r.State != want {
				t.Errorf("A: state %s problem %q, want %s", r.State, r.Problem, want)
			}
			if r := h2.get(b); r.State != flow.AwaitingApproval || r.Queue != nil {
				t.Errorf("B: state %s queue %+v problem %q", r.State, r.Queue, r.Problem)
			}
			applies := 0
			if tc.apply {
				applies = 1
			}
			checkRuns(t, ports, []string{a}, 1, applies)
			checkRuns(t, ports, []string{b}, 1, 0)
			q, err := ports.Store.Queue(context.Background(), "demo", "dev")
			if err != nil {
				t.Fatal(err)
			}
			if len(q.Entries) > 1 {
				t.Errorf("queue keeps %d entries: %+v", len(q.Entries), q.Entries)
			}
		})
	}
}

func block(p *flowtest.Ports, op string) *flowtest.Gate {
	if strings.HasPrefix(op, "Dispatch") {
		return p.Runs.Block(op)
	}
	return p.Repo.Block(op)
}

func clearOp(p *flowtest.Ports, op string) {
	p.Runs.Clear(op)
	p.Repo.Clear(op)
}

// TestQueueAttackDeadEntries: entries whose request is gone from the store
// (one running, one waiting apply), and a request cancelled while its plan
// runs, never block the queue: the next request goes — after the
// cancelled request's run has ended on GitHub, not beside it.
func TestQueueAttackDeadEntries(t *testing.T) {
	ports := flowtest.NewPorts()
	ctx := context.Background()
	err := ports.Store.SaveQueue(ctx, &flow.Queue{Project: "demo", Environment: "dev", Entries: []flow.QueueEntry{
		{RequestID: "gone-1", Workflow: flow.WorkflowPlan, Effect: "3-dispatch_plan", Since: t0, Running: true},
		{RequestID: "gone-2", Workflow: flow.WorkflowApply, Effect: "9-dispatch_apply", Since: t0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, ports, "a")
	a := h.submit("dev")
	h.settle()
	if r := h.get(a); r.State != flow.AwaitingApproval || slices.ContainsFunc(historyNotes(r), func(n string) bool { return strings.Contains(n, "queued") }) {
		t.Fatalf("A behind deleted requests: state %s history %q", r.State, historyNotes(r))
	}

	ports.Runs.Polls = 3
	gate := ports.Runs.Block("Status:plan")
	c := h.submit("dev")
	<-gate.Entered()
	d := h.submit("dev")
	h.waitFor(d, "queued behind C", queuedAt(1))
	h.handle(c, flow.Event{Kind: flow.EvCancel, Actor: actor("U1")})
	gate.Release()
	ports.Runs.Clear("Status:plan")
	h.settle()
	if r := h.get(d); r.State != flow.AwaitingApproval {
		t.Errorf("D after C was cancelled: state %s queue %+v problem %q", r.State, r.Queue, r.Problem)
	}
	checkRuns(t, ports, []string{a, c, d}, 1, 0)
}

// TestQueueAttackStoreDown: the store refuses every queue write: the
// dispatch retries, then fails with Retry offered and no run dispatched;
// once the store is back, Retry plans. A queue read that fails twice is
// retried without a failure shown.
func TestQueueAttackStoreDown(t *testing.T) {
	down := errors.New("store unavailable")
	for _, op := range []string{"SaveQueue", "Queue"} {
		t.Run(op, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			ports.Store.Fail(op, -1, down)
			a := h.submit("dev")
			r := h.waitFor(a, "failed", func(r *flow.Request) bool { return r.FailedEffect != nil })
			if r.State != flow.Planning || r.FailedEffect.Kind != flow.EffDispatchPlan || !h.eng.View(ctx(), r).Outlook.Offers(flow.EvRetry) {
				t.Fatalf("A with the queue down: state %s failed %+v problem %q", r.State, r.FailedEffect, r.Problem)
			}
			checkRuns(t, ports, []string{a}, 0, 0)
			ports.Store.Clear(op)
			h.handle(a, flow.Event{Kind: flow.EvRetry, Actor: actor("U1")})
			h.settle()
			ports.Store.Fail(op, 2, down)
			b := h.submit("dev")
			h.settle()
			for _, id := range []string{a, b} {
				if r := h.get(id); r.State != flow.AwaitingApproval || r.FailedEffect != nil {
					t.Errorf("%s: state %s problem %q", id, r.State, r.Problem)
				}
			}
			checkRuns(t, ports, []string{a, b}, 1, 0)
		})
	}
}

func ctx() context.Context { return context.Background() }

// TestQueueAttackForeignRunForever: a run TfPilot did not start occupies
// dev and never ends. A plan waits behind it and may be cancelled; an
// apply waits behind it too and may not (its dispatch may be under way).
// Both cards say the run ahead is not TfPilot's.
func TestQueueAttackForeignRunForever(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	b := h.toAwaiting("dev")
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	ports.Runs.SetForeign("dev", 1)
	a := h.submit("dev")
	ra := h.waitFor(a, "queued behind the foreign run", queuedAt(1))
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	rb := h.waitFor(b, "queued behind the foreign run", queuedAt(1))
	for _, r := range []*flow.Request{ra, rb} {
		if !r.Queue.Foreign {
			t.Errorf("%s: place %+v does not say the run ahead is not TfPilot's", r.ID, r.Queue)
		}
		if i := slices.IndexFunc(historyNotes(r), func(n string) bool { return strings.Contains(n, "queued") }); i < 0 ||
			!strings.Contains(historyNotes(r)[i], "not started by TfPilot") {
			t.Errorf("%s: history %q does not name the foreign run", r.ID, historyNotes(r))
		}
	}
	if r := h.handle(a, flow.Event{Kind: flow.EvCancel, Actor: actor("U1")}); r.State != flow.Cancelled {
		t.Errorf("cancel the queued plan: state %s", r.State)
	}
	if _, err := h.eng.Handle(ctx(), b, flow.Event{Kind: flow.EvCancel, Key: h.key(), Actor: actor("U1")}); !errors.Is(err, flow.ErrBadEvent) {
		t.Errorf("cancel the queued apply: err %v, want it refused", err)
	}
	checkRuns(t, ports, []string{a}, 0, 0)
	checkRuns(t, ports, []string{b}, 1, 0)
}

// TestQueueAttackReplanStorm: five plans in dev wait for approval, one in
// prod; one dev request merges, and its replan_others fails half-way and
// is retried. Each other dev request re-plans exactly once, one at a time;
// prod does not.
func TestQueueAttackReplanStorm(t *testing.T) {
	ports := flowtest.NewPorts()
	flaky := &flakyStatus{}
	h := newHarness(t, ports, "a", func(c *flow.Config) { flaky.Repo = c.Repo; c.Repo = flaky })
	a := h.toAwaiting("dev")
	var others []string
	for range 5 {
		others = append(others, h.toAwaiting("dev"))
	}
	prod := h.toAwaiting("prod")
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	flaky.arm(3) // A's own check at its turn, two others, then a failure
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(a); r.State != flow.Applied || !r.Change.Merged || len(r.Owed) != 0 {
		t.Fatalf("A: state %s owed %v problem %q", r.State, r.Owed, r.Problem)
	}
	if !flaky.failed() {
		t.Fatal("replan_others never failed half-way: the test does not test a resume")
	}
	for _, id := range others {
		r := h.get(id)
		n := 0
		for _, note := range historyNotes(r) {
			if strings.HasSuffix(note, "merged; re-plan on the new base") {
				n++
			}
		}
		if r.State != flow.AwaitingApproval || n != 1 {
			t.Errorf("%s: state %s, re-planned %d times, want awaiting approval after one re-plan", id, r.State, n)
		}
	}
	checkRuns(t, ports, others, 2, 0)
	checkRuns(t, ports, []string{prod}, 1, 0)
}

// flakyStatus fails one ChangeStatus call, the n-th after arm(n).
type flakyStatus struct {
	flow.Repo
	mu           sync.Mutex
	left         int
	armed, fired bool
}

func (f *flakyStatus) arm(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.left, f.armed = n, true
}

func (f *flakyStatus) failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

func (f *flakyStatus) ChangeStatus(ctx context.Context, project string, c flow.Change) (flow.Change, error) {
	f.mu.Lock()
	fail := false
	if f.armed && !f.fired {
		if f.left == 0 {
			f.fired, fail = true, true
		}
		f.left--
	}
	f.mu.Unlock()
	if fail {
		return flow.Change{}, errors.New("github: 502")
	}
	return f.Repo.ChangeStatus(ctx, project, c)
}

// TestQueueAttackHeldApply: B's apply waits behind A's. A person cannot
// cancel A once its apply started. A's merge is refused: A holds dev, so
// B's apply is not dispatched when its turn comes (its saved plan predates
// what A applied); B plans again instead, cannot be approved while A
// holds dev, and re-plans once more when A merges.
func TestQueueAttackHeldApply(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a, b, gate := h.applyQueuedBehindApply()
	if _, err := h.eng.Handle(ctx(), a, flow.Event{Kind: flow.EvCancel, Key: h.key(), Actor: actor("U1")}); !errors.Is(err, flow.ErrBadEvent) {
		t.Errorf("cancel A while it applies: err %v, want it refused", err)
	}
	ports.Repo.Fail("MergeChange", -1, &flow.MergeRefusedError{Reason: "a review is required"})
	gate.Release()
	ports.Runs.Clear("Status:apply")
	h.settle()
	if r := h.get(a); r.State != flow.AppliedNotMerged {
		t.Fatalf("A: state %s problem %q", r.State, r.Problem)
	}
	rb := h.get(b)
	if n := ports.Runs.Count(b, flow.WorkflowApply); n != 0 || rb.State != flow.AwaitingApproval {
		t.Fatalf("B while A holds dev: %d apply runs, state %s problem %q; want no apply and a new plan", n, rb.State, rb.Problem)
	}
	if _, err := h.eng.Handle(ctx(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")}); err == nil {
		t.Errorf("B approved while A holds dev")
	}
	ports.Repo.Clear("MergeChange")
	h.handle(a, flow.Event{Kind: flow.EvRetryMerge, Actor: actor("U1")})
	h.settle()
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(b); r.State != flow.Applied || !r.Change.Merged {
		t.Errorf("B after A merged: state %s problem %q", r.State, r.Problem)
	}
	checkRuns(t, ports, []string{a}, 1, 1)
	checkRuns(t, ports, []string{b}, 3, 1)
}
