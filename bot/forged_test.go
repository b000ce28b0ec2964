package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// TestForgedButtonValues: block_actions payloads whose action or value
// were not drawn by TfPilot for the person pressing. A button's value is
// the only thing flow learns from a press besides who pressed, so each
// forgery must be refused by flow's own rules, or land only where a typed
// command would: a plain Approve carrying findings to acknowledge, a value
// naming another request with this request's plan, a person who may not
// approve, an Apply before approval, and a huge "Approve and acknowledge"
// listing findings the plan does not have (the approval records only the
// findings the plan really has, so the PR record and the audit trail never
// say an approver acknowledged something nobody was shown).
func TestForgedButtonValues(t *testing.T) {
	h := newHarness(t)
	ctx, fake := h.ctx, h.fake
	newRequest := func(name string) (*flow.Request, string) {
		t.Helper()
		if _, err := fake.SlashCommand(ctx, "U1", "C1", "new s3-bucket env=prod name="+name); err != nil {
			t.Fatal(err)
		}
		h.settle()
		msgs := fake.Messages("C1")
		root := msgs[len(msgs)-1].TS
		rs, err := h.eng.List(ctx, flow.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Thread.TS == root {
				return r, root
			}
		}
		t.Fatalf("no request for card %s", root)
		return nil, ""
	}
	get := func(id string) *flow.Request {
		t.Helper()
		r, err := h.eng.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	click := func(user, ts, actionID, value string) {
		t.Helper()
		if _, err := fake.Click(ctx, slackfake.Click{User: user, Channel: "C1", MessageTS: ts, ActionID: actionID, Value: value}); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	submit := func(ts string) {
		t.Helper()
		m, _ := fake.Get("C1", ts)
		b := find(t, m.Blocks, "submit", "Submit")
		click("U1", ts, b.ActionID, b.Value)
	}

	a, aTS := newRequest("alpha")
	// A's plan also updates a role outside its module: approving it needs
	// "Approve and acknowledge" (scope:update).
	h.ports.Runs.SetPlan(flow.PlanSummary{Create: 1, Update: 1, Resources: []flow.ResourceChange{
		{Address: "module.tfpilot_" + a.Label + ".aws_s3_bucket.this", Action: "create"},
		{Address: "aws_iam_role.shared", Action: "update"},
	}})
	submit(aTS)
	b, bTS := newRequest("beta")
	submit(bTS)
	a, b = get(a.ID), get(b.ID)
	if a.State != flow.AwaitingApproval || b.State != flow.AwaitingApproval {
		t.Fatalf("states %s, %s; want both awaiting approval", a.State, b.State)
	}
	aPlan := fmt.Sprintf("@%d:%s", a.PlanRun.ID, a.PlanRun.HeadSHA)
	if diff := cmp.Diff([]string{"scope:update"}, flow.NeedsAck(a)); diff != "" {
		t.Fatalf("A's findings to acknowledge (-want +got):\n%s", diff)
	}

	forgeries := []struct {
		name, user, actionID, value string
	}{
		{"plain Approve carrying the finding to acknowledge", "U2", "approve:0", a.ID + "|" + aPlan + "|scope:update"},
		{"value naming another request, with this request's plan", "U2", "approve_ack:0", b.ID + "|" + aPlan + "|scope:update|scope:create"},
		{"approve by a person who may not approve in prod", "U3", "approve_ack:0", a.ID + "|" + aPlan + "|scope:update"},
		{"Apply before any approval", "U1", "apply:0", a.ID + "|" + aPlan},
		{"value with no request", "U2", "approve_ack:0", "|" + aPlan + "|scope:update"},
		{"plan part that is not a plan", "U2", "approve_ack:0", a.ID + "|@x:" + a.PlanRun.HeadSHA + "|scope:update"},
	}
	for _, f := range forgeries {
		click(f.user, aTS, f.actionID, f.value)
		for _, r := range []*flow.Request{get(a.ID), get(b.ID)} {
			if r.State != flow.AwaitingApproval || len(r.Approvals) != 0 || r.ApplyRun != nil {
				t.Errorf("%s: %s is %s with approvals %+v; want it untouched", f.name, r.Label, r.State, r.Approvals)
			}
		}
	}

	// A huge "Approve and acknowledge" value by an approver: the approval
	// counts (U2 may approve and does acknowledge A's finding) but records
	// only that finding, not the 64 KB of others.
	junk := strings.Repeat("scope:delete|`@octocat`|", 64<<10/24)
	click("U2", aTS, "approve_ack:0", a.ID+"|"+aPlan+"|"+junk+"scope:update")
	a = get(a.ID)
	if a.State != flow.Approved || len(a.Approvals) != 1 {
		t.Fatalf("after the acknowledging approve: %s, approvals %d; want approved once", a.State, len(a.Approvals))
	}
	if got := a.Approvals[0].Accepts; !slices.Equal(got, []string{"scope:update"}) {
		t.Errorf("approval's accepted findings: %d, starting %.200q; want [scope:update]", len(got), got)
	}
	if rec := h.ports.Repo.Record(a.Change.Branch); strings.Contains(rec, "scope:delete") || strings.Contains(rec, "octocat") {
		t.Errorf("PR record names findings the plan does not have (%d bytes):\n%.2000s", len(rec), rec)
	}
}
