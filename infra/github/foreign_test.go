package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/infra/tfplan"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// foreignWorld is the engine over this adapter and the GitHub fake, with
// the real plan summariser: plans come from the fake's Terraform state.
type foreignWorld struct {
	f     *ghfake.Fake
	eng   *flow.Engine
	ports *flowtest.Ports
	keys  int
}

func newForeignWorld(t *testing.T, tweaks ...func(*flow.Config)) *foreignWorld {
	t.Helper()
	f := ghfake.New(t)
	files := baseFiles(t)
	for p, mf := range flowtest.Modules() { // the catalogue's module "bucket", with a second resource
		files["modules/"+p] = string(mf.Data)
	}
	files["modules/bucket/main.tf"] += "\nresource \"aws_s3_bucket_versioning\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n}\n"
	f.AddRepo("acme", "infra", "main", files)
	c, err := New(Options{
		HTTPClient: f.Client(), BaseURL: f.URL, Token: ghfake.Token,
		Projects:     map[string]Repo{"demo": {Owner: "acme", Name: "infra", BaseBranch: "main"}},
		PollInterval: time.Millisecond, Logger: zaptest.NewLogger(t), Summarize: tfplan.Summarize,
	})
	if err != nil {
		t.Fatal(err)
	}
	ports := flowtest.NewPorts()
	cfg := ports.Config("r1")
	cfg.Repo, cfg.Runs, cfg.PollInterval = c, c, time.Millisecond
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	return &foreignWorld{f: f, eng: flowtest.RunEngine(t, cfg), ports: ports}
}

func (w *foreignWorld) handle(id string, kind flow.EventKind, who string) error {
	w.keys++
	_, err := w.eng.Handle(context.Background(), id, flow.Event{Kind: kind, Key: fmt.Sprintf("k%d", w.keys), Actor: flow.Actor{ID: who}})
	return err
}

// run waits for the n-th run (1-based) of workflow for request id and
// returns it.
func (w *foreignWorld) run(t *testing.T, id, workflow string, n int) ghfake.Run {
	t.Helper()
	var got ghfake.Run
	waitFor(t, fmt.Sprintf("%s run %d of %s", workflow, n, id), func() bool {
		var runs []ghfake.Run
		for _, r := range w.f.Runs(fullRepo) {
			if r.Workflow == workflow && r.Inputs["request_id"] == id {
				runs = append(runs, r)
			}
		}
		if len(runs) >= n {
			got = runs[n-1]
		}
		return len(runs) >= n
	})
	return got
}

// planned opens a request for bucket name in dev and completes its plan.
func (w *foreignWorld) planned(t *testing.T, name string) *flow.Request {
	t.Helper()
	w.keys++
	r, err := w.eng.Open(context.Background(), flow.Event{Kind: flow.EvStart, Key: fmt.Sprintf("k%d", w.keys), Actor: flow.Actor{ID: "U1"},
		Project: "demo", Module: "bucket", Environment: "dev", Inputs: map[string]string{"name": name}, Thread: &flow.Thread{Channel: "C1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.handle(r.ID, flow.EvConfirm, "U1"); err != nil {
		t.Fatal(err)
	}
	w.f.CompleteRun(w.run(t, r.ID, "plan", 1).ID, "success")
	return waitState(t, w.eng, r.ID, flow.AwaitingApproval)
}

// cardText is the request's last card as people read it: every title,
// line, note and button.
func (w *foreignWorld) cardText(id string) string {
	v := w.ports.Chat.LastView(id)
	if v.Request == nil {
		return ""
	}
	c := card.ForRequest(v.Request, card.Options{Policy: &v.Policy, Outlook: &v.Outlook})
	parts := append([]string{c.Title, c.Status}, c.Notes...)
	for _, s := range c.Sections {
		parts = append(parts, s.Title)
		parts = append(parts, s.Lines...)
	}
	for _, b := range c.Buttons() {
		parts = append(parts, "["+b.Text+"]")
	}
	return strings.Join(parts, "\n")
}

// TestForeignChangeBlocked: request A is applied while branch protection
// refuses its merge (405), so its module is live but not on main. B's plan,
// made from main, deletes A's resources: B can be neither approved nor
// applied, and its card lists A's addresses. A is "not merged" with Retry
// merge, which merges once protection allows it. A's resources stay in
// state throughout, and B, re-planned on the merged main, applies beside
// them.
func TestForeignChangeBlocked(t *testing.T) {
	w := newForeignWorld(t)
	const refusal = "At least 1 approving review is required by reviewers with write access."

	a := w.planned(t, "logs-a")
	if err := w.handle(a.ID, flow.EvApprove, "U3"); err != nil {
		t.Fatal(err)
	}
	w.f.ProtectBase(fullRepo, refusal)
	if err := w.handle(a.ID, flow.EvApply, "U1"); err != nil {
		t.Fatal(err)
	}
	w.f.CompleteRun(w.run(t, a.ID, "apply", 1).ID, "success")
	a = waitState(t, w.eng, a.ID, flow.AppliedNotMerged)
	own := "module.tfpilot_" + a.Label
	aAddrs := []string{own + ".aws_s3_bucket.this", own + ".aws_s3_bucket_versioning.this"}
	if diff := cmp.Diff(aAddrs, w.f.State(fullRepo, "dev")); diff != "" {
		t.Fatalf("state after A's apply (-want +got):\n%s", diff)
	}
	waitFor(t, "A's card: not merged, with the reason and Retry merge", func() bool {
		text := w.cardText(a.ID)
		return w.ports.Chat.LastView(a.ID).Request.State == flow.AppliedNotMerged &&
			strings.Contains(text, refusal) && strings.Contains(text, "[Retry merge]")
	})

	b := w.planned(t, "logs-b")
	var deletes []string
	for _, rc := range b.Plan.Resources {
		if rc.Action == "delete" {
			deletes = append(deletes, rc.Address)
		}
	}
	if diff := cmp.Diff(aAddrs, deletes); diff != "" {
		t.Errorf("B's plan deletes (-want A's resources +got):\n%s", diff)
	}
	for _, ev := range []flow.EventKind{flow.EvApprove, flow.EvApply} {
		if err := w.handle(b.ID, ev, "U3"); err == nil {
			t.Errorf("B: %s accepted while its plan deletes A's resources and A is not merged", ev)
		}
	}
	if rb, _ := w.eng.Get(context.Background(), b.ID); rb.State != flow.AwaitingApproval || len(rb.Approvals) != 0 {
		t.Errorf("B after refused moves: state %s approvals %v", rb.State, rb.Approvals)
	}
	waitFor(t, "B's card listing A's addresses, without Approve or Apply", func() bool {
		v := w.ports.Chat.LastView(b.ID)
		if v.Request == nil || v.Request.Plan == nil || v.Outlook.Offers(flow.EvApprove) || v.Outlook.Offers(flow.EvApply) ||
			v.Outlook.HeldBy != a.Label {
			return false
		}
		text := w.cardText(b.ID)
		return strings.Contains(text, aAddrs[0]) && strings.Contains(text, aAddrs[1]) && !strings.Contains(text, "[Approve")
	})
	if fs := flow.ScopeFindings(w.ports.Chat.LastView(b.ID).Request); len(fs) == 0 || fs[0].Kind != flow.FindingBlocking ||
		!slices.Equal(fs[0].Addresses, aAddrs) {
		t.Errorf("B's findings %+v, want one blocking finding listing %v", fs, aAddrs)
	}

	// Retry merge while protection still refuses: still not merged.
	if err := w.handle(a.ID, flow.EvRetryMerge, "U1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused retry to settle", func() bool {
		r, _ := w.eng.Get(context.Background(), a.ID)
		return r.State == flow.AppliedNotMerged && len(r.Owed) == 0
	})
	w.f.ProtectBase(fullRepo, "")
	if err := w.handle(a.ID, flow.EvRetryMerge, "U1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A applied and merged", func() bool {
		a, _ = w.eng.Get(context.Background(), a.ID)
		return a.State == flow.Applied && len(a.Owed) == 0
	})
	if prs := w.f.PullRequests(fullRepo); !a.Change.Merged || !prs[0].Merged {
		t.Fatalf("A after Retry merge: change merged %v, PR %+v", a.Change.Merged, prs[0])
	}
	if diff := cmp.Diff(aAddrs, w.f.State(fullRepo, "dev")); diff != "" {
		t.Errorf("state after A's merge (-want +got):\n%s", diff)
	}

	// B's plan predates the merge; re-planned on main it only creates.
	if err := w.handle(b.ID, flow.EvReplan, "U1"); err != nil {
		if r, _ := w.eng.Get(context.Background(), b.ID); r.State == flow.AwaitingApproval {
			t.Fatal(err)
		} // else B is re-planning by itself since the merge landed
	}
	w.f.CompleteRun(w.run(t, b.ID, "plan", 2).ID, "success")
	waitFor(t, "B re-planned on the merged main", func() bool {
		r, _ := w.eng.Get(context.Background(), b.ID)
		return r.State == flow.AwaitingApproval && r.PlanRun != nil && r.PlanRun.ID == w.run(t, b.ID, "plan", 2).ID && r.Plan != nil
	})
	b, _ = w.eng.Get(context.Background(), b.ID)
	if fs := flow.ScopeFindings(b); len(fs) != 0 || b.Plan.Delete != 0 {
		t.Errorf("B re-planned: findings %+v, plan %+v", fs, b.Plan)
	}
	if parents := w.f.Parents(fullRepo, b.PlanRun.HeadSHA); len(parents) != 1 || parents[0] != w.f.Branch(fullRepo, "main") {
		t.Errorf("B's re-plan ran on a commit with parents %v, want main's head (A merged)", parents)
	}
	if err := w.handle(b.ID, flow.EvApprove, "U3"); err != nil {
		t.Fatal(err)
	}
	if err := w.handle(b.ID, flow.EvApply, "U1"); err != nil {
		t.Fatal(err)
	}
	w.f.CompleteRun(w.run(t, b.ID, "apply", 1).ID, "success")
	waitFor(t, "B applied and merged", func() bool {
		b, _ = w.eng.Get(context.Background(), b.ID)
		return b.State == flow.Applied && len(b.Owed) == 0
	})
	if !b.Change.Merged {
		t.Errorf("B applied but not merged: %+v", b.Change)
	}
	bOwn := "module.tfpilot_" + b.Label
	want := slices.Sorted(slices.Values(append(slices.Clone(aAddrs), bOwn+".aws_s3_bucket.this", bOwn+".aws_s3_bucket_versioning.this")))
	if diff := cmp.Diff(want, w.f.State(fullRepo, "dev")); diff != "" {
		t.Errorf("state after B's apply (-want +got):\n%s", diff)
	}
}
