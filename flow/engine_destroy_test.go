package flow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// destroyApplied drives a destroy of a new applied request to its end and
// returns the target's and the destroy request's IDs.
func destroyApplied(t *testing.T, h *harness) (target, destroy string) {
	t.Helper()
	target = h.toApplied()
	d, err := h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStartDestroy, Key: "d1", Actor: actor("U1"), Target: target})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	for !advance(t, h.eng, d.ID) {
		h.settle()
	}
	return target, d.ID
}

// TestEngineDestroyIsRecordedOnTarget checks that the request a destroy
// request destroyed learns it, through its own step: its record, history,
// audit trail and a reply in its thread say by which request.
func TestEngineDestroyIsRecordedOnTarget(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	targetID, destroyID := destroyApplied(t, h)
	h.settle()
	target, d := h.get(targetID), h.get(destroyID)
	if target.State != flow.Applied || target.DestroyedBy != destroyID || target.DestroyedAt.IsZero() || len(target.Owed) != 0 {
		t.Fatalf("target: state %s destroyed by %q at %v owed %v", target.State, target.DestroyedBy, target.DestroyedAt, target.Owed)
	}
	if d.State != flow.Applied || len(d.Owed) != 0 || d.Problem != "" {
		t.Fatalf("destroy request: state %s owed %v problem %q", d.State, d.Owed, d.Problem)
	}
	label := registry.Label(destroyID)
	last := target.History[len(target.History)-1]
	if diff := cmp.Diff(flow.Transition{Seq: last.Seq, At: last.At, Actor: "tfpilot", Event: flow.EvDestroyed, From: flow.Applied, To: flow.Applied,
		Note: "destroyed by request " + label}, last); diff != "" {
		t.Errorf("target's last transition (-want +got):\n%s", diff)
	}
	replies := ports.Chat.Replies(targetID)
	if len(replies) == 0 || replies[len(replies)-1] != "Destroyed by request "+label+"." {
		t.Errorf("replies in the target's thread: %q", replies)
	}
	recs := ports.Audit.Records(targetID)
	if rec := recs[len(recs)-1]; rec.Event != "destroyed" || rec.Result != "destroyed by request "+label {
		t.Errorf("target's last audit record: %+v", rec)
	}
	// Said again, it changes nothing: the same key, or another.
	writes := len(ports.Store.Writes(targetID))
	for _, key := range []string{destroyID + "/destroyed", "another"} {
		if _, err := h.eng.Handle(context.Background(), targetID, flow.Event{Kind: flow.EvDestroyed, Key: key, Actor: flow.System, Target: destroyID}); err != nil {
			t.Errorf("again with key %s: %v", key, err)
		}
	}
	if n := len(ports.Store.Writes(targetID)); n != writes {
		t.Errorf("recording the destroy again wrote the target %d more time(s)", n-writes)
	}
}

// TestEngineDestroyRecordSurvivesRestart restarts on a store where the
// destroy request still owes the record (its acknowledgement was lost, or
// the replica died before running it): the next replica records it once.
func TestEngineDestroyRecordSurvivesRestart(t *testing.T) {
	for _, recorded := range []bool{true, false} {
		name := map[bool]string{true: "recorded before the crash", false: "not recorded yet"}[recorded]
		t.Run(name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h1 := newHarness(t, ports, "replica-1")
			targetID, destroyID := destroyApplied(t, h1)
			h1.settle()
			h1.stop()
			ctx := context.Background()
			rewrite := func(id string, f func(*flow.Request)) {
				r, err := ports.Store.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				f(r)
				r.Version++
				if err := ports.Store.Update(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			rewrite(destroyID, func(r *flow.Request) {
				r.Owed = append(r.Owed, flow.Effect{ID: "99-mark_destroyed", Kind: flow.EffMarkDestroyed})
				r.Lease = flow.Lease{Owner: "replica-1", Until: ports.Clock.Now().Add(time.Minute)}
			})
			rewrite(targetID, func(r *flow.Request) {
				r.Seen = nil // the record's key may have left Seen since
				if !recorded {
					r.DestroyedAt = time.Time{}
				}
			})
			writes := len(ports.Store.Writes(targetID))
			ports.Clock.Advance(2 * time.Minute) // the dead replica's lease expires

			h2 := newHarness(t, ports, "replica-2")
			h2.settle()
			target, d := h2.get(targetID), h2.get(destroyID)
			if target.DestroyedBy != destroyID || target.DestroyedAt.IsZero() || len(d.Owed) != 0 || d.Problem != "" {
				t.Fatalf("target destroyed by %q at %v; destroy request owes %v, problem %q", target.DestroyedBy, target.DestroyedAt, d.Owed, d.Problem)
			}
			wantWrites := writes
			if !recorded {
				wantWrites++ // the record, then its card and reply acknowledged
			}
			if got := len(ports.Store.Writes(targetID)); recorded && got != wantWrites || !recorded && got < wantWrites {
				t.Errorf("target written %d time(s) after the restart, want %d", got-writes, wantWrites-writes)
			}
		})
	}
}

// TestEngineDestroyOfADestroyRequest: a destroy request created nothing to
// destroy. The refusal names it by its own label and says what it is, not
// "only an applied request can be destroyed; <its target> is applied".
func TestEngineDestroyOfADestroyRequest(t *testing.T) {
	h := newHarness(t, flowtest.NewPorts(), "a")
	_, destroyID := destroyApplied(t, h)
	h.settle()
	_, err := h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStartDestroy, Key: "d2", Actor: actor("U1"), Target: destroyID})
	want := registry.Label(destroyID) + " is a destroy request, so there is nothing of its own to destroy"
	if err == nil || !flow.IsRefusal(err) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("destroying a destroy request: %v; want a refusal starting %q", err, want)
	}
}
