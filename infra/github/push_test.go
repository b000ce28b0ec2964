package github

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestPushBeforePlan runs the engine over this adapter and the GitHub fake:
// a person pushes to tfpilot/<id> after TfPilot's commit and before the plan
// run starts, so the run plans their commit. The request goes stale instead
// of offering that plan for approval, the card names the commit and its
// author, an approval is refused, and a re-plan plans TfPilot's commit again.
func TestPushBeforePlan(t *testing.T) {
	f := ghfake.New(t)
	f.AddRepo("acme", "infra", "main", baseFiles(t))
	c, err := New(Options{
		HTTPClient: f.Client(), BaseURL: f.URL, Token: ghfake.Token,
		Projects:     map[string]Repo{"demo": {Owner: "acme", Name: "infra", BaseBranch: "main"}},
		PollInterval: time.Millisecond, Logger: zaptest.NewLogger(t),
		Summarize: (&summarizer{}).Summarize,
	})
	if err != nil {
		t.Fatal(err)
	}
	ports := flowtest.NewPorts()
	cfg := ports.Config("r1")
	cfg.Repo, cfg.Runs, cfg.PollInterval = c, c, time.Millisecond
	eng := flowtest.RunEngine(t, cfg)
	ctx := context.Background()

	requester, approver := flow.Actor{ID: "U1"}, flow.Actor{ID: "U3"}
	r, err := eng.Open(ctx, flow.Event{Kind: flow.EvStart, Key: "k1", Actor: requester, Project: "demo", Module: "bucket",
		Environment: "dev", Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}, Thread: &flow.Thread{Channel: "C1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Mallory pushes to the branch after TfPilot built its commit and
	// before the plan is dispatched: the run's head_sha, fixed at dispatch,
	// is mallory's commit.
	br := "tfpilot/" + r.ID
	var built, pushed string
	f.Inject(ghfake.Fault{Endpoint: dispatchEndpoint, Before: func() {
		built = f.Branch(fullRepo, br)
		pushed = f.PushAs(fullRepo, br, "mallory", map[string]string{"envs/dev/extra.tf": "# not TfPilot's\n"})
	}})
	if _, err := eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvConfirm, Key: "k2", Actor: requester}); err != nil {
		t.Fatal(err)
	}
	var plan ghfake.Run
	waitFor(t, "plan dispatched", func() bool {
		runs := f.Runs(fullRepo)
		if len(runs) == 1 {
			plan = runs[0]
		}
		return len(runs) == 1
	})
	f.CompleteRun(plan.ID, "success")

	r = waitState(t, eng, r.ID, flow.Stale)
	for _, want := range []string{pushed[:7], "mallory", built[:7]} {
		if !strings.Contains(r.Problem, want) {
			t.Errorf("problem %q does not name %s", r.Problem, want)
		}
	}
	if r.Plan != nil {
		t.Errorf("a plan of someone else's commit is kept to show: %+v", r.Plan)
	}
	waitFor(t, "card naming the commit", func() bool {
		card := ports.Chat.LastCard(r.ID)
		return card != nil && card.State == flow.Stale && strings.Contains(card.Problem, pushed[:7]) && strings.Contains(card.Problem, "mallory")
	})
	if flow.OutlookOf(r, cfg.Policy, &approver).Offers(flow.EvApprove) {
		t.Error("the stale request offers Approve")
	}
	if _, err := eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvApprove, Key: "k3", Actor: approver}); err == nil {
		t.Error("approving the plan of a pushed commit was accepted")
	}

	// Re-plan rebuilds TfPilot's one commit on main and plans that.
	if _, err := eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvReplan, Key: "k4", Actor: requester}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second plan dispatched", func() bool { return len(f.Runs(fullRepo)) == 2 })
	replan := f.Runs(fullRepo)[1]
	f.CompleteRun(replan.ID, "success")
	r = waitState(t, eng, r.ID, flow.AwaitingApproval)
	head := f.Branch(fullRepo, br)
	if head == pushed || r.PlanRun.HeadSHA != head || r.Change.HeadSHA != head {
		t.Errorf("re-plan: branch %s, plan run at %s, change %s; want TfPilot's rebuilt commit, not %s", head, r.PlanRun.HeadSHA, r.Change.HeadSHA, pushed)
	}
	if parents := f.Parents(fullRepo, head); len(parents) != 1 || parents[0] != f.Branch(fullRepo, "main") {
		t.Errorf("re-planned commit's parents = %v, want main's head", parents)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitState(t *testing.T, eng *flow.Engine, id string, s flow.State) *flow.Request {
	t.Helper()
	var r *flow.Request
	waitFor(t, "state "+s.String(), func() bool {
		var err error
		r, err = eng.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return r.State == s
	})
	return r
}
