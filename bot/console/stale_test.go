package console

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// lagging is the console as the engine's chat, except that once a request
// has been shown awaiting approval its later cards do not arrive: the
// screen keeps that card and its buttons, as a chat card does that has not
// refreshed yet.
type lagging struct {
	runsWait
	mu     sync.Mutex
	frozen map[string]bool
}

// ShowCard implements flow.Chat.
func (l *lagging) ShowCard(ctx context.Context, v flow.View) (flow.Thread, error) {
	r := v.Request
	l.mu.Lock()
	frozen := l.frozen[r.ID]
	l.mu.Unlock()
	if frozen {
		return r.Thread, nil
	}
	th, err := l.runsWait.ShowCard(ctx, v)
	if r.State == flow.AwaitingApproval {
		l.mu.Lock()
		l.frozen[r.ID] = true
		l.mu.Unlock()
	}
	return th, err
}

// TestConsoleStaleButton: pressing Approve on a card drawn for an older
// plan is refused with the new plan's run, and the current card is printed,
// whose Approve then approves the new plan; a typed approve names the plan
// it approved.
func TestConsoleStaleButton(t *testing.T) {
	var out bytes.Buffer
	ports := flowtest.NewPorts()
	screen := NewScreen(Options{Out: &out, User: "U1"})
	cfg := ports.Config("test")
	cfg.Chat = &lagging{runsWait: runsWait{screen, ports.Runs.Block("Status:plan"), ports.Runs.Block("Status:apply")}, frozen: map[string]bool{}}
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	c := New(screen, eng)
	run := func(lines ...string) *flow.Request {
		t.Helper()
		if err := c.Run(context.Background(), strings.NewReader(strings.Join(lines, "\n"))); err != nil {
			t.Fatal(err)
		}
		rs, err := eng.List(context.Background(), flow.Filter{})
		if err != nil || len(rs) != 1 {
			t.Fatalf("requests = %d, %v; want 1; output:\n%s", len(rs), err, out.String())
		}
		return rs[0]
	}
	r := run("/tfpilot new bucket env=dev name=logs", "1") // Submit
	if r.State != flow.AwaitingApproval || r.PlanRun == nil {
		t.Fatalf("after submit: %s; output:\n%s", r.State, out.String())
	}
	first := r.PlanRun.ID
	r = run("/as U3", "/tfpilot replan last")
	if r.State != flow.AwaitingApproval || r.PlanRun == nil || r.PlanRun.ID == first {
		t.Fatalf("after replan: %s, plan %+v; want a new plan awaiting approval; output:\n%s", r.State, r.PlanRun, out.String())
	}
	second := r.PlanRun.ID
	label := registry.Label(r.ID)

	before := out.Len()
	r = run("1") // Approve, on the card of the first plan
	refused := out.String()[before:]
	want := fmt.Sprintf("the plan changed since this card: approve the new plan (run %d) on the updated card\n", second)
	if !strings.Contains(refused, want) {
		t.Errorf("stale press: output lacks %q:\n%s", want, refused)
	}
	if r.State != flow.AwaitingApproval || len(flow.CurrentApprovers(r)) != 0 {
		t.Errorf("after the stale press: %s, approvers %v; want still awaiting approval", r.State, flow.CurrentApprovers(r))
	}
	if !strings.Contains(refused, "== Create bucket in dev ==") || !strings.Contains(refused, "[1] Approve") {
		t.Errorf("stale press: the current card is not shown after the refusal:\n%s", refused)
	}

	r = run("1") // Approve, on the card just shown
	if r.State != flow.Approved || r.Approvals[len(r.Approvals)-1].PlanRunID != second {
		t.Fatalf("Approve on the current card: %s, approvals %+v; want approved, of run %d; output:\n%s", r.State, r.Approvals, second, out.String())
	}

	before = out.Len()
	r = run("/tfpilot replan last", "/tfpilot approve last")
	typed := out.String()[before:]
	if want := fmt.Sprintf("Approved plan run %d (1 to create) of %s.\n", r.PlanRun.ID, label); r.State != flow.Approved || !strings.Contains(typed, want) {
		t.Errorf("typed approve: %s; output lacks %q:\n%s", r.State, want, typed)
	}
}

// TestConsoleApproveAck: "approve <id> ack" typed in the console accepts
// the plan's changes outside the request, as the "Approve and acknowledge"
// button does.
func TestConsoleApproveAck(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.SetPlan(flow.PlanSummary{Create: 1, Update: 1, Resources: []flow.ResourceChange{
		{Address: "module.tfpilot_000000000001.aws_s3_bucket.this", Action: "create"},
		{Address: "aws_iam_role.ci", Action: "update"}}})
	out, rs := sessionWith(t, ports, "U1", strings.Join([]string{
		"/tfpilot new bucket env=dev name=logs",
		"1", // Submit
		"/as U3",
		"/tfpilot approve last ack",
	}, "\n"))
	if len(rs) != 1 || rs[0].State != flow.Approved {
		t.Fatalf("requests %d, want one approved; output:\n%s", len(rs), out)
	}
	if got := rs[0].Approvals[0].Accepts; len(got) != 1 || got[0] != "scope:update" {
		t.Errorf("approval accepts %v, want [scope:update]", got)
	}
}
