package flow_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// countingRepo counts RecordOnChange calls, failed ones included.
type countingRepo struct {
	*flowtest.Repo
	records atomic.Int64
}

func (c *countingRepo) RecordOnChange(ctx context.Context, project string, ch flow.Change, body string) error {
	c.records.Add(1)
	return c.Repo.RecordOnChange(ctx, project, ch, body)
}

// TestEngineRecordRefusedForGood: a repository that refuses the record for
// good (the App lacks pull_requests:write: a 403, not a temporary failure)
// does not keep the card owed. The request goes from plan to applied and
// merged with its cards and replies shown, owes nothing at the end, and
// the refused record is tried once per request, not again at every card
// or every backoff round.
func TestEngineRecordRefusedForGood(t *testing.T) {
	ports := flowtest.NewPorts()
	repo := &countingRepo{Repo: ports.Repo}
	ports.Repo.Fail("RecordOnChange", -1, errors.New("write the record on #1: GitHub refused (403 Resource not accessible by integration): needs pull_requests:write"))
	h := newHarness(t, ports, "a", func(c *flow.Config) { c.Repo = repo })
	id := h.toAwaiting("dev")
	if r := h.get(id); len(r.Owed) != 0 {
		t.Fatalf("awaiting approval owes %v, want nothing (the record was refused for good)", r.Owed)
	}
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	r := h.get(id)
	if r.State != flow.Applied || !r.Change.Merged || len(r.Owed) != 0 {
		t.Fatalf("state %s merged %v owed %v problem %q, want applied, merged, owing nothing", r.State, r.Change.Merged, r.Owed, r.Problem)
	}
	if n := repo.records.Load(); n != 1 {
		t.Errorf("%d record writes tried, want 1 (refused for good: given up)", n)
	}
	if !strings.Contains(strings.Join(ports.Chat.Replies(id), "\n"), "merged") {
		t.Errorf("replies %q lack the merge", ports.Chat.Replies(id))
	}
}
