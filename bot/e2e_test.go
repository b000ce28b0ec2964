package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// TestSlackEndToEnd drives a request from /tfpilot to applied through the
// real socketmode client, a fake Slack and the engine over flowtest fakes.
func TestSlackEndToEnd(t *testing.T) {
	h := newHarness(t)
	ctx, fake := h.ctx, h.fake

	// /tfpilot posts the choice card in the channel.
	ack, err := fake.SlashCommand(ctx, "U1", "C1", "")
	if err != nil || ack != nil {
		t.Fatalf("slash command ack = %s, %v; want an empty ack", ack, err)
	}
	h.settle()
	msgs := fake.Messages("C1")
	if len(msgs) != 1 {
		t.Fatalf("after /tfpilot: %d messages in C1, want 1 (the card)", len(msgs))
	}
	root := msgs[0]
	click := func(user, action, text string) json.RawMessage {
		t.Helper()
		m, ok := fake.Get("C1", root.TS)
		if !ok {
			t.Fatal("card gone")
		}
		b := find(t, m.Blocks, action, text)
		ack, err := fake.Click(ctx, slackfake.Click{User: user, Channel: "C1", MessageTS: root.TS, ActionID: b.ActionID, Value: b.Value})
		if err != nil {
			t.Fatal(err)
		}
		h.settle()
		return ack
	}

	// Module, then environment (the module step replaces the message).
	click("U1", "choose_module", "s3-bucket")
	click("U1", "choose_env", "prod")
	viewID := fake.LastView()
	view, ok := fake.View(viewID)
	if !ok || !strings.Contains(string(view), `"block_id":"in_name"`) {
		t.Fatalf("input modal not shown: %s", view)
	}

	// An invalid name is refused inline, on the name field.
	ack, err = fake.Submit(ctx, "U1", viewID, map[string]string{"in_name": "Bad_Name!"})
	if err != nil {
		t.Fatal(err)
	}
	var verr struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack, &verr); err != nil || verr.Action != "errors" || !strings.Contains(verr.Errors["in_name"], "name must be") {
		t.Fatalf("invalid submission ack = %s; want response_action errors on in_name", ack)
	}
	ack, err = fake.Submit(ctx, "U1", viewID, map[string]string{"in_name": "invoices"})
	if err != nil || ack != nil {
		t.Fatalf("valid submission ack = %s, %v; want empty (modal closes)", ack, err)
	}
	h.settle()
	r := h.request(t)
	if r.State != flow.Confirming || r.Inputs["name"] != "invoices" {
		t.Fatalf("after the modal: state %s inputs %v; want confirming with name=invoices", r.State, r.Inputs)
	}

	// A key=value reply in the thread sets an input; a bad one is explained.
	if _, err := fake.Message(ctx, "U1", "C1", root.TS, "expiration_days = 30"); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Message(ctx, "U1", "C1", root.TS, "expiration_days=0"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if r = h.request(t); r.Inputs["expiration_days"] != "30" {
		t.Errorf("expiration_days = %q after thread reply, want 30", r.Inputs["expiration_days"])
	}
	if e := fake.Ephemeral("U1"); len(e) == 0 || !strings.Contains(e[len(e)-1].Text, "expiration_days") ||
		!strings.Contains(e[len(e)-1].Text, "none of that message was set") {
		t.Errorf("no ephemeral explanation of expiration_days=0: %+v", e)
	}

	// The confirm card shows the rendered file; Submit opens the PR and plans.
	card, _ := fake.Get("C1", root.TS)
	if !strings.Contains(string(card.Blocks), "module \\\"tfpilot_") {
		t.Errorf("confirm card has no rendered HCL: %s", card.Blocks)
	}
	h.ports.Runs.SetPlan(flow.PlanSummary{Create: 3, Resources: []flow.ResourceChange{
		{Address: "module.tfpilot_" + r.Label + ".aws_s3_bucket.this", Action: "create"}}})
	click("U1", "submit", "Submit")
	if r = h.request(t); r.State != flow.AwaitingApproval {
		t.Fatalf("after submit: %s, want awaiting_approval", r.State)
	}
	card, _ = fake.Get("C1", root.TS)
	if !strings.Contains(string(card.Blocks), "3 to create") {
		t.Errorf("status card has no plan summary: %s", card.Blocks)
	}

	// A second user approves; the requester may not approve their own.
	click("U2", "approve", "Approve")
	if r = h.request(t); r.State != flow.Approved {
		t.Fatalf("after U2 approved: %s, want approved", r.State)
	}
	// The card no longer offers Approve, so the requester tries the command.
	ack, err = fake.SlashCommand(ctx, "U1", "C1", "approve "+r.Label)
	if err != nil || ack != nil {
		t.Fatalf("approve command ack = %s, %v", ack, err)
	}
	h.settle()
	eph := fake.Ephemeral("U1")
	if len(eph) == 0 || !strings.Contains(eph[len(eph)-1].Text, "cannot approve your own request") {
		t.Errorf("self-approval not refused ephemerally: %+v", eph)
	}
	click("U1", "apply", "Apply")
	if r = h.request(t); r.State != flow.Applied {
		t.Fatalf("after apply: %s, want applied", r.State)
	}

	// Thread replies tell the story; the notifications channel heard of it.
	var replies []string
	for _, m := range fake.Messages("C1") {
		if m.ThreadTS == root.TS {
			replies = append(replies, m.Text)
		}
	}
	if len(replies) < 3 {
		t.Errorf("thread replies = %q, want one per notable transition", replies)
	}
	notes := fake.Messages("CNOTIFY")
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Text, r.Thread.URL) {
		t.Errorf("notifications = %+v, want the last linking to %s", notes, r.Thread.URL)
	}
	card, _ = fake.Get("C1", root.TS)
	if got := buttons(t, card.Blocks); len(got) != 0 {
		t.Errorf("applied card still has buttons: %v", got)
	}
	if diff := cmp.Diff(r.Thread.URL, "https://fake.slack.com/archives/C1/p"+strings.ReplaceAll(root.TS, ".", "")); diff != "" {
		t.Errorf("thread URL (-got +want):\n%s", diff)
	}
}

// request returns the one request in the store.
func (h *harness) request(t *testing.T) *flow.Request {
	t.Helper()
	rs, err := h.eng.List(h.ctx, flow.Filter{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests = %d, %v; want 1", len(rs), err)
	}
	return rs[0]
}
