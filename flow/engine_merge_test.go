package flow_test

import (
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineMergeRefused checks that a merge the repository refuses (branch
// protection) is not retried, leaves the request applied but not merged
// with the repository's reason and a notification, and that Retry merge,
// once the cause is fixed, merges it.
func TestEngineMergeRefused(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	const reason = "At least 1 approving review is required by reviewers with write access."
	ports.Repo.Fail("MergeChange", -1, &flow.MergeRefusedError{Reason: reason})
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()

	r := h.get(id)
	if r.State != flow.AppliedNotMerged || r.MergeRefusal != reason || r.Change.Merged || len(r.Owed) != 0 || r.FailedEffect != nil {
		t.Fatalf("state %s refusal %q merged %v owed %v failed %v", r.State, r.MergeRefusal, r.Change.Merged, r.Owed, r.FailedEffect)
	}
	replies := ports.Chat.Replies(id)
	if want := "Applied, but the pull request was not merged: " + reason[:len(reason)-1] + ". Fix that, then press Retry merge."; len(replies) == 0 || replies[len(replies)-1] != want {
		t.Errorf("replies %q, want last %q", replies, want)
	}
	if n := ports.Repo.Counts().Merges; n != 0 {
		t.Errorf("merges = %d, want 0", n)
	}
	notes := ports.Chat.Notifications(id)
	if len(notes) == 0 || !strings.HasPrefix(notes[len(notes)-1], "Applied but not merged ("+reason+")") {
		t.Errorf("notifications: %q", notes)
	}
	if o := flow.OutlookOf(r, flowtest.Policy(), nil); !o.Offers(flow.EvRetryMerge) || o.Offers(flow.EvCancel) || o.Offers(flow.EvRetry) {
		t.Errorf("moves offered: %v", o.Moves)
	}

	ports.Repo.Clear("MergeChange")
	h.handle(id, flow.Event{Kind: flow.EvRetryMerge, Actor: actor("U1")})
	h.settle()
	r = h.get(id)
	if r.State != flow.Applied || !r.Change.Merged || r.MergeRefusal != "" || r.Problem != "" || len(r.Owed) != 0 {
		t.Fatalf("after Retry merge: state %s merged %v refusal %q problem %q owed %v", r.State, r.Change.Merged, r.MergeRefusal, r.Problem, r.Owed)
	}
	if n := ports.Repo.Counts().Merges; n != 1 {
		t.Errorf("merges = %d, want 1", n)
	}
}

// TestEngineMergeOutOfRetries checks that a merge failing for a passing
// reason until its retries are spent lands in the same place: applied, not
// merged, Retry merge offered.
func TestEngineMergeOutOfRetries(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	ports.Repo.Fail("MergeChange", -1, flow.ErrTransient)
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	r := h.get(id)
	if r.State != flow.AppliedNotMerged || !strings.HasPrefix(r.MergeRefusal, "something went wrong (ref ") {
		t.Fatalf("state %s refusal %q", r.State, r.MergeRefusal)
	}
	ports.Repo.Clear("MergeChange")
	h.handle(id, flow.Event{Kind: flow.EvRetryMerge, Actor: actor("U3")})
	h.settle()
	if r := h.get(id); r.State != flow.Applied || !r.Change.Merged {
		t.Fatalf("after Retry merge: state %s merged %v", r.State, r.Change.Merged)
	}
}
