package flow_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// advance does the person event the request waits for, if any, with a key
// fixed per state so a repeat after a crash is a no-op. It reports whether
// the request is applied and merged with nothing owed.
func advance(t *testing.T, eng *flow.Engine, id string) bool {
	t.Helper()
	r, err := eng.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var ev flow.Event
	switch r.State {
	case flow.CollectingInputs:
		ev = flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}}
	case flow.Confirming:
		ev = flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")}
	case flow.AwaitingApproval:
		ev = flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}
	case flow.Approved:
		ev = flow.Event{Kind: flow.EvApply, Actor: actor("U1")}
	case flow.Applied:
		return r.Change != nil && r.Change.Merged && len(r.Owed) == 0
	default:
		if r.Problem != "" || r.State.Terminal() {
			t.Fatalf("request stuck in %s: %s", r.State, r.Problem)
		}
		return false
	}
	ev.Key = "person-" + r.State.String()
	if _, err := eng.Handle(context.Background(), id, ev); err != nil {
		t.Fatalf("%s: %v", ev.Kind, err)
	}
	return false
}

// boundaries are the points of the lifecycle where a replica may die: before
// a port call, and after its side effect but before the result is saved.
var boundaries = []struct {
	name  string
	block func(p *flowtest.Ports) *flowtest.Gate
}{
	{"OpenChange", func(p *flowtest.Ports) *flowtest.Gate { return p.Repo.Block("OpenChange") }},
	{"OpenChangeDone", func(p *flowtest.Ports) *flowtest.Gate { return p.Repo.Block("OpenChange:done") }},
	{"DispatchPlan", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("Dispatch:plan") }},
	{"DispatchPlanDone", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("Dispatch:plan:done") }},
	{"WatchPlan", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("Status:plan") }},
	{"PlanResult", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("PlanResult") }},
	{"DispatchApply", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("Dispatch:apply") }},
	{"DispatchApplyDone", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("Dispatch:apply:done") }},
	{"WatchApply", func(p *flowtest.Ports) *flowtest.Gate { return p.Runs.Block("Status:apply") }},
	{"Merge", func(p *flowtest.Ports) *flowtest.Gate { return p.Repo.Block("MergeChange") }},
	{"MergeDone", func(p *flowtest.Ports) *flowtest.Gate { return p.Repo.Block("MergeChange:done") }},
	{"ShowCard", func(p *flowtest.Ports) *flowtest.Gate { return p.Chat.Block("ShowCard") }},
	{"Audit", func(p *flowtest.Ports) *flowtest.Gate { return p.Audit.Block("Record") }},
}

var boundaryOps = map[string]string{
	"OpenChange": "OpenChange", "OpenChangeDone": "OpenChange:done", "DispatchPlan": "Dispatch:plan",
	"DispatchPlanDone": "Dispatch:plan:done", "WatchPlan": "Status:plan", "PlanResult": "PlanResult",
	"DispatchApply": "Dispatch:apply", "DispatchApplyDone": "Dispatch:apply:done", "WatchApply": "Status:apply",
	"Merge": "MergeChange", "MergeDone": "MergeChange:done", "ShowCard": "ShowCard", "Audit": "Record",
}

// TestCrashRecovery stops a replica at every effect boundary of the
// lifecycle (the store keeps what was saved), starts a new replica on the
// same store and ports once the dead one's lease expired, and checks the
// request ends applied with exactly one branch, PR, plan run and apply run.
func TestCrashRecovery(t *testing.T) {
	for _, b := range boundaries {
		t.Run(b.name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			gate := b.block(ports)
			h1 := newHarness(t, ports, "replica-1")
			id := h1.open("dev").ID
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
		drive:
			for !advance(t, h1.eng, id) {
				select {
				case <-gate.Entered():
					break drive
				case <-ctx.Done():
					t.Fatalf("never reached the %s boundary", b.name)
				case <-time.After(time.Millisecond):
				}
			}
			h1.stop() // the replica dies: in-flight calls are cut off
			clearFault(ports, b.name)
			ports.Clock.Advance(2 * time.Minute) // its lease expires

			h2 := newHarness(t, ports, "replica-2")
			for !advance(t, h2.eng, id) {
				h2.settle()
			}
			assertExactlyOnce(t, ports, id)
		})
	}
}

func clearFault(p *flowtest.Ports, name string) {
	op := boundaryOps[name]
	p.Repo.Clear(op)
	p.Runs.Clear(op)
	p.Chat.Clear(op)
	p.Audit.Clear(op)
}

func assertExactlyOnce(t *testing.T, ports *flowtest.Ports, id string) {
	t.Helper()
	c := ports.Repo.Counts()
	got := []int{c.Branches, c.PRs, c.Merges, ports.Runs.Count(id, flow.WorkflowPlan), ports.Runs.Count(id, flow.WorkflowApply)}
	if diff := cmp.Diff([]int{1, 1, 1, 1, 1}, got); diff != "" {
		t.Errorf("branches, PRs, merges, plan runs, apply runs (-want +got):\n%s", diff)
	}
	r, err := ports.Store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != flow.Applied || len(r.Owed) != 0 {
		t.Errorf("state %s, owed %v", r.State, r.Owed)
	}
	var path []flow.State
	for _, tr := range r.History {
		if tr.From != tr.To {
			path = append(path, tr.To)
		}
	}
	want := []flow.State{flow.CollectingInputs, flow.Confirming, flow.OpeningPR, flow.Planning, flow.AwaitingApproval, flow.Approved, flow.Applying, flow.Applied}
	if diff := cmp.Diff(want, path); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if n := len(ports.Audit.Records(id)); int64(n) > r.Seq || n < len(r.History) {
		t.Errorf("%d audit records for %d transitions (seq %d)", n, len(r.History), r.Seq)
	}
}
