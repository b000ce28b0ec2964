package bot

import (
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"github.com/tfpilot/tfpilot/registry"
)

// TestSlackNewUserMistakes walks what a new user meets in Slack: a bad
// inline input creates nothing, a good input next to a bad one is kept,
// refusals name what was tried, an unknown project is named as such, a
// stranger cannot cancel in dev, a dev plan reads "ready to apply", and a
// destroyed request says so.
func TestSlackNewUserMistakes(t *testing.T) {
	h := newHarness(t)
	ctx, fake := h.ctx, h.fake
	lastTo := func(user string) string {
		t.Helper()
		e := fake.Ephemeral(user)
		if len(e) == 0 {
			t.Fatalf("nothing told to %s", user)
		}
		return e[len(e)-1].Text
	}
	command := func(user, text string) string {
		t.Helper()
		if _, err := fake.SlashCommand(ctx, user, "C1", text); err != nil {
			t.Fatal(err)
		}
		h.settle()
		return lastTo(user)
	}

	// A bad inline input: nothing is created.
	if got := command("U1", "new s3-bucket env=dev name=invoices nosuch=1"); !strings.Contains(got, "nothing was created") || !strings.Contains(got, "nosuch: unknown input") {
		t.Errorf("bad inline input answered %q", got)
	}
	if rs, _ := h.eng.List(ctx, flow.Filter{}); len(rs) != 0 {
		t.Fatalf("a bad inline input created %d request(s)", len(rs))
	}
	if got := command("U1", "modules nosuchproject"); !strings.Contains(got, `project "nosuchproject" is not configured; choose one of demo`) {
		t.Errorf("modules of an unknown project answered %q", got)
	}

	// A request collecting inputs: reject names itself; a stranger may not
	// cancel; a reply with a good and a bad input keeps the good one.
	if _, err := fake.SlashCommand(ctx, "U1", "C1", "new s3-bucket env=dev"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	r := h.request(t)
	label := registry.Label(r.ID)
	if got := command("U2", "reject "+label); got != "there is no plan to reject yet: the request is still collecting inputs; cancel it instead" {
		t.Errorf("reject while collecting answered %q", got)
	}
	if got := command("U2", "cancel "+label); !strings.Contains(got, "or an approver or applier named in the dev policy can cancel this request") {
		t.Errorf("a stranger's cancel answered %q", got)
	}
	if _, err := fake.Message(ctx, "U1", "C1", r.Thread.TS, "name=invoices bogus=2"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if r = h.request(t); r.State != flow.Confirming || r.Inputs["name"] != "invoices" {
		t.Fatalf("after a reply with a good and a bad input: %s %v; want confirming with name=invoices", r.State, r.Inputs)
	}
	if got := lastTo("U1"); !strings.Contains(got, "Set name. These were not set") || !strings.Contains(got, "bogus: unknown input") {
		t.Errorf("reply with a bad input answered %q", got)
	}

	// Submit: dev needs no approval, and the card does not say approved.
	card, _ := fake.Get("C1", r.Thread.TS)
	b := find(t, card.Blocks, "submit", "Submit")
	if _, err := fake.Click(ctx, slackfake.Click{User: "U1", Channel: "C1", MessageTS: r.Thread.TS, ActionID: b.ActionID, Value: b.Value}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	card, _ = fake.Get("C1", r.Thread.TS)
	if r = h.request(t); r.State != flow.Approved || !strings.Contains(card.Text, "Ready to apply (no approval needed in dev)") {
		t.Fatalf("after submit: %s, card %q; want it ready to apply with no approval needed", r.State, card.Text)
	}

	// Apply, destroy, apply: the original's card and status say destroyed.
	command("U1", "apply "+label)
	if _, err := fake.SlashCommand(ctx, "U1", "C1", "destroy "+label); err != nil {
		t.Fatal(err)
	}
	h.settle()
	rs, _ := h.eng.List(ctx, flow.Filter{})
	if len(rs) != 2 {
		t.Fatalf("%d requests after destroy, want 2", len(rs))
	}
	destroy := registry.Label(rs[1].ID)
	command("U1", "apply "+destroy)
	card, _ = fake.Get("C1", r.Thread.TS)
	if !strings.Contains(card.Text, "Destroyed by request "+destroy) {
		t.Errorf("original's card after the destroy: %q", card.Text)
	}
	if got := command("U1", "status "+label); !strings.Contains(got, "Destroyed by request "+destroy) {
		t.Errorf("status of the destroyed request: %q", got)
	}
}
