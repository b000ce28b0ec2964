package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// scanOften makes the engine look for pull requests closed by hand every
// few milliseconds.
func scanOften(c *flow.Config) { c.ChangeScan = 5 * time.Millisecond }

// TestPRClosedByHand: A awaits approval when a person closes its pull
// request on GitHub. With nobody clicking, the engine's scan notices it
// and cancels A, saying why in its thread; nothing is applied.
func TestPRClosedByHand(t *testing.T) {
	w := newForeignWorld(t, scanOften)
	a := w.planned(t, "logs-a")
	w.f.ClosePR(fullRepo, a.Change.Number)

	a = waitState(t, w.eng, a.ID, flow.Cancelled)
	if !a.Change.Closed || a.Change.Merged {
		t.Errorf("A's change %+v, want closed, not merged", a.Change)
	}
	waitFor(t, "A's card cancelled and a reply saying the pull request was closed outside TfPilot", func() bool {
		v := w.ports.Chat.LastView(a.ID)
		return v.Request != nil && v.Request.State == flow.Cancelled &&
			slices.ContainsFunc(w.ports.Chat.Replies(a.ID), func(r string) bool {
				return strings.Contains(r, "The pull request was closed outside TfPilot, so this request is cancelled")
			})
	})
	if runs := w.f.Runs(fullRepo); len(runs) != 1 {
		t.Errorf("runs %+v, want A's one plan", runs)
	}
	if st := w.f.State(fullRepo, "dev"); len(st) != 0 {
		t.Errorf("state %v, want nothing applied", st)
	}
}

// TestPRMergedByHand: A awaits approval when a person merges its pull
// request on GitHub, so its module is on main but not live. The scan
// notices; A plans main as it is, on its branch made again at main's head
// (the plan creates only A's module); B, in the same environment, cannot
// be approved meanwhile. A is approved and applied like any request, its
// resources land in state, no second pull request is opened, and B, once
// re-planned on main, can be approved.
func TestPRMergedByHand(t *testing.T) {
	w := newForeignWorld(t, scanOften)
	a := w.planned(t, "logs-a")
	b := w.planned(t, "logs-b")
	w.f.MergeByHand(fullRepo, a.Change.Number, "alice")
	main := w.f.Branch(fullRepo, "main")

	plan := w.run(t, a.ID, "plan", 2) // dispatched by itself once the scan saw the merge
	if plan.HeadSHA != main || plan.Branch != a.Change.Branch {
		t.Errorf("A's second plan ran on %s at %.7s, want %s at main's head %.7s", plan.Branch, plan.HeadSHA, a.Change.Branch, main)
	}
	w.f.CompleteRun(plan.ID, "success")
	waitFor(t, "A planned from main", func() bool {
		a, _ = w.eng.Get(context.Background(), a.ID)
		return a.State == flow.AwaitingApproval && a.PlanRun != nil && a.PlanRun.ID == plan.ID && a.Plan != nil
	})
	own := "module.tfpilot_" + a.Label
	aAddrs := []string{own + ".aws_s3_bucket.this", own + ".aws_s3_bucket_versioning.this"}
	var creates []string
	for _, rc := range a.Plan.Resources {
		if rc.Action != "create" {
			t.Errorf("A's plan from main: %s %s, want creates only", rc.Action, rc.Address)
		}
		creates = append(creates, rc.Address)
	}
	if diff := cmp.Diff(aAddrs, creates); diff != "" {
		t.Errorf("A's plan from main creates (-want +got):\n%s", diff)
	}
	if !a.Change.Merged || a.Change.Number != 1 || a.Change.HeadSHA != main {
		t.Errorf("A's change %+v, want merged #1 at main's head", a.Change)
	}

	// B's plan predates the merge, so B cannot be approved; re-planned on
	// main (which has A's module, not yet live) B is held until A applies.
	if err := w.handle(b.ID, flow.EvApprove, "U3"); err == nil {
		t.Error("B approved with a plan made before A's merge by hand")
	}
	b = w.replanned(t, b.ID, 2, true)
	if err := w.handle(b.ID, flow.EvApprove, "U3"); err == nil || !strings.Contains(err.Error(), flow.HeldUnapplied) {
		t.Errorf("approving B while A is merged but not applied: %v, want refused as %q", err, flow.HeldUnapplied)
	}
	waitFor(t, "B's card held by A, without Approve", func() bool {
		v := w.ports.Chat.LastView(b.ID)
		return v.Request != nil && v.Request.State == flow.AwaitingApproval && v.Outlook.HeldBy == a.Label &&
			v.Outlook.HeldFor == flow.HeldUnapplied && !v.Outlook.Offers(flow.EvApprove) &&
			strings.Contains(w.cardText(b.ID), "held by "+a.Label+", "+flow.HeldUnapplied)
	})

	if err := w.handle(a.ID, flow.EvApprove, "U3"); err != nil {
		t.Fatal(err)
	}
	if err := w.handle(a.ID, flow.EvApply, "U1"); err != nil {
		t.Fatal(err)
	}
	w.f.CompleteRun(w.run(t, a.ID, "apply", 1).ID, "success")
	waitFor(t, "A applied, with nothing owed", func() bool {
		a, _ = w.eng.Get(context.Background(), a.ID)
		return a.State == flow.Applied && len(a.Owed) == 0
	})
	if diff := cmp.Diff(aAddrs, w.f.State(fullRepo, "dev")); diff != "" {
		t.Errorf("state after A's apply (-want +got):\n%s", diff)
	}
	if br := w.f.Branch(fullRepo, a.Change.Branch); br != "" {
		t.Errorf("A's re-made branch is still there at %.7s", br)
	}
	if prs := w.f.PullRequests(fullRepo); len(prs) != 2 || !prs[0].Merged || prs[1].Merged {
		t.Errorf("pull requests %+v, want A's merged by hand and B's open", prs)
	}
	if got := w.f.Branch(fullRepo, "main"); got != main {
		t.Errorf("main moved to %.7s after A's apply, want it at the merge by hand %.7s", got, main)
	}

	// B's plan predates A's apply (it creates A's resources too): B
	// re-plans by itself, and then only creates its own.
	b = w.replanned(t, b.ID, 3, false)
	if fs := flow.ScopeFindings(b); len(fs) != 0 || b.Plan.Delete != 0 || b.Plan.Create != 2 {
		t.Errorf("B re-planned after A's apply: findings %+v, plan %+v", fs, b.Plan)
	}
	if err := w.handle(b.ID, flow.EvApprove, "U3"); err != nil {
		t.Errorf("approving B after A applied: %v", err)
	}
	if slices.Contains(w.f.State(fullRepo, "dev"), "module.tfpilot_"+b.Label+".aws_s3_bucket.this") {
		t.Error("B applied without an apply")
	}
}

// replanned re-plans id (with click, a person presses Re-plan unless it
// is re-planning by itself already), completes its n-th plan run and
// returns it awaiting approval with that plan.
func (w *foreignWorld) replanned(t *testing.T, id string, n int, click bool) *flow.Request {
	t.Helper()
	if click {
		if err := w.handle(id, flow.EvReplan, "U1"); err != nil {
			if r, _ := w.eng.Get(context.Background(), id); r.State == flow.AwaitingApproval {
				t.Fatal(err)
			}
		}
	}
	run := w.run(t, id, "plan", n)
	w.f.CompleteRun(run.ID, "success")
	var r *flow.Request
	waitFor(t, fmt.Sprintf("plan %d of %s", n, id), func() bool {
		r, _ = w.eng.Get(context.Background(), id)
		return r.State == flow.AwaitingApproval && r.PlanRun != nil && r.PlanRun.ID == run.ID && r.Plan != nil
	})
	return r
}
