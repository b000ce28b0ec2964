package flow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineRecordsOnThePullRequest: the pull request carries one record
// of the request, updated in place as it moves — the plan (run, commit,
// counts, addresses), each approval (who, plan run, commit), the apply and
// the merge — with no input value in it; a card shown again with nothing
// new for reviewers writes nothing; a failing write is tried again.
func TestEngineRecordsOnThePullRequest(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	branch := "tfpilot/" + id
	r := h.get(id)
	rec := ports.Repo.Record(branch)
	for _, want := range []string{flow.RecordMarker, "**State:** awaiting approval",
		fmt.Sprintf("plan run %d", r.PlanRun.ID), "1 to create", "create `module.tfpilot_" + r.Label} {
		if !strings.Contains(rec, want) {
			t.Errorf("record after the plan lacks %q:\n%s", want, rec)
		}
	}
	ports.Repo.Fail("RecordOnChange", 1, fmt.Errorf("github is down: %w", flow.ErrTransient))
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	rec = ports.Repo.Record(branch)
	for _, want := range []string{"**State:** applied", "(`U3`)", fmt.Sprintf("plan run %d at `%s`", r.PlanRun.ID, r.PlanRun.HeadSHA[:12]),
		"**Apply:**", "succeeded", "**Merged**"} {
		if !strings.Contains(rec, want) {
			t.Errorf("final record lacks %q:\n%s", want, rec)
		}
	}
	for _, v := range h.get(id).Inputs {
		if strings.Contains(rec, v) {
			t.Errorf("record shows input value %q:\n%s", v, rec)
		}
	}
	// Cards redrawn with nothing new for reviewers write no record: no
	// record is written twice in a row (the failed write aside, which is
	// not kept).
	all := ports.Repo.Records(branch)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Errorf("record %d written again unchanged (%d records for %d cards):\n%s", i, len(all), ports.Chat.Cards(id), all[i])
		}
	}
}
