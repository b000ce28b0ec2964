package flow_test

import (
	"fmt"
	"maps"
	"runtime"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// longLived is a request awaiting approval that has lived long: its history
// and seen keys at their limits (with room to grow in their arrays, as
// appending leaves them), an audit record and a card owed.
func longLived() flow.Request {
	r := flowtest.RequestIn(flow.AwaitingApproval)
	for i := range flow.HistoryLimit {
		r.History = append(r.History, flow.Transition{Seq: int64(i + 1), At: t0, Actor: "U1", Event: flow.EvEdit,
			From: flow.Confirming, To: flow.CollectingInputs, Note: "editing inputs"})
	}
	for i := range flow.SeenLimit {
		r.Seen = append(r.Seen, fmt.Sprint("key-", i))
	}
	rec := flow.AuditRecord{RequestID: r.ID, Seq: 11, At: t0, Actor: actor("U1"), Event: "plan_finished", Inputs: maps.Clone(r.Inputs)}
	r.Owed = append(r.Owed, flow.Effect{ID: "11-record_audit", Kind: flow.EffRecordAudit, Audit: &rec},
		flow.Effect{ID: "12-show_card", Kind: flow.EffShowCard})
	return r
}

// TestStepCopiesLittle checks what a step of a long-lived request
// allocates, measured in copies of its history and seen keys (the longest
// parts of a request): a refused step copies neither, an accepted one
// writes one new copy of each with its transition and key. Every card
// dry-runs every move through Step for every candidate (OutlookWith), and
// a card is drawn on every transition: copying them on each dry run was
// half of what the engine allocated per transition (BenchmarkEngineStep).
func TestStepCopiesLittle(t *testing.T) {
	r := longLived()
	oneCopy := uint64(len(r.History))*uint64(unsafe.Sizeof(flow.Transition{})) + uint64(len(r.Seen))*uint64(unsafe.Sizeof(""))
	tests := []struct {
		name    string
		ev      flow.Event
		copies  uint64 // at most, rounded up
		refused bool
	}{
		{"refused (does not fit the state)", flow.Event{Kind: flow.EvConfirm, Key: "confirm", Actor: actor("U1"), At: t0}, 1, true},
		{"accepted", flow.Event{Kind: flow.EvCancel, Key: "cancel", Actor: actor("U1"), At: t0}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := flow.Step(r, tt.ev, flowtest.Policy()); (err != nil) != tt.refused {
				t.Fatalf("Step: %v, want refused %v", err, tt.refused)
			}
			if got := allocated(func() { _, _, _ = flow.Step(r, tt.ev, flowtest.Policy()) }); got >= tt.copies*oneCopy {
				t.Errorf("Step allocates %d bytes, want less than %d copies of history and seen keys (%d bytes each)", got, tt.copies, oneCopy)
			}
		})
	}
}

// allocated is how many bytes fn allocates, on average over a few calls.
func allocated(fn func()) uint64 {
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestStepsShareNothingTheyChange steps two events from one long-lived
// request, whose history and seen keys have room to grow in their arrays
// (steps share those arrays with the request they step from): neither step
// changes the request or the other's result.
func TestStepsShareNothingTheyChange(t *testing.T) {
	r := longLived()
	before := *flow.CloneRequest(&r)
	evs := []flow.Event{
		{Kind: flow.EvApprove, Key: "approve", Actor: actor("U3"), At: t0, PlanRunID: 101, PlanSHA: "h1"},
		{Kind: flow.EvCancel, Key: "cancel", Actor: actor("U1"), At: t0},
	}
	var got []flow.Request
	for _, ev := range evs {
		next, _, err := flow.Step(r, ev, flowtest.Policy())
		if err != nil {
			t.Fatalf("step %s: %v", ev.Kind, err)
		}
		got = append(got, next)
	}
	if diff := cmp.Diff(before, r); diff != "" {
		t.Errorf("stepping changed the request (-before +after):\n%s", diff)
	}
	type last struct {
		Event   flow.EventKind
		Seen    string
		History int
	}
	want := []last{{flow.EvApprove, "approve", flow.HistoryLimit}, {flow.EvCancel, "cancel", flow.HistoryLimit}}
	var have []last
	for _, n := range got {
		have = append(have, last{n.History[len(n.History)-1].Event, n.Seen[len(n.Seen)-1], len(n.History)})
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("last transition and key of each step (-want +got):\n%s", diff)
	}
}
