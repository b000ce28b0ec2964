package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestPushAfterRemadeAtBase: A's pull request is merged by hand, so
// TfPilot re-makes tfpilot/<A> at main's head to plan main as it is. A
// person pushes to that branch before the plan starts: the plan ran on
// their commit, not on main's head TfPilot chose, so A goes stale naming
// the commit and its author, as for any foreign push; a re-plan moves the
// branch back to main's head and plans that.
func TestPushAfterRemadeAtBase(t *testing.T) {
	w := newForeignWorld(t, scanOften)
	a := w.planned(t, "logs-a")
	w.f.MergeByHand(fullRepo, a.Change.Number, "alice")
	main := w.f.Branch(fullRepo, "main")
	var pushed string
	w.f.Inject(ghfake.Fault{Endpoint: dispatchEndpoint, Before: func() {
		pushed = w.f.PushAs(fullRepo, a.Change.Branch, "mallory", map[string]string{"envs/dev/extra.tf": "# not TfPilot's\n"})
	}})
	plan := w.run(t, a.ID, "plan", 2)
	if plan.HeadSHA != pushed || pushed == "" {
		t.Fatalf("plan 2 ran on %.7s, want mallory's %.7s", plan.HeadSHA, pushed)
	}
	w.f.CompleteRun(plan.ID, "success")
	a = waitState(t, w.eng, a.ID, flow.Stale)
	for _, want := range []string{pushed[:7], "mallory", main[:7]} {
		if !strings.Contains(a.Problem, want) {
			t.Errorf("problem %q does not name %s", a.Problem, want)
		}
	}
	if a.Plan != nil || !a.Change.Merged {
		t.Errorf("plan %+v change %+v, want no plan kept, the change still merged by hand", a.Plan, a.Change)
	}
	if err := w.handle(a.ID, flow.EvApprove, "U3"); err == nil {
		t.Error("approved a plan of mallory's commit")
	}
	a = w.replanned(t, a.ID, 3, true)
	if a.PlanRun.HeadSHA != main || a.Change.HeadSHA != main {
		t.Errorf("re-plan ran on %.7s (branch %.7s), want main's head %.7s", a.PlanRun.HeadSHA, a.Change.HeadSHA, main)
	}
}

// TestRecordForbidden: GitHub answers 403 to every comment call (the App
// lacks pull_requests:write). The request goes from plan to applied and
// merged all the same, its cards and replies shown, owing nothing; the
// record is tried once, not at every card or backoff round.
func TestRecordForbidden(t *testing.T) {
	w := newForeignWorld(t)
	const forbidden = `{"message":"Resource not accessible by integration"}`
	for _, ep := range []string{"GET /repos/{owner}/{repo}/issues/{n}/comments", "POST /repos/{owner}/{repo}/issues/{n}/comments"} {
		w.f.Inject(ghfake.Fault{Endpoint: ep, Times: 1000, Status: http.StatusForbidden, Body: forbidden})
	}
	a := w.planned(t, "logs-a")
	if err := w.handle(a.ID, flow.EvApprove, "U3"); err != nil {
		t.Fatal(err)
	}
	if err := w.handle(a.ID, flow.EvApply, "U1"); err != nil {
		t.Fatal(err)
	}
	w.f.CompleteRun(w.run(t, a.ID, "apply", 1).ID, "success")
	waitFor(t, "A applied, merged, owing nothing, its card applied", func() bool {
		a, _ = w.eng.Get(context.Background(), a.ID)
		v := w.ports.Chat.LastView(a.ID)
		return a.State == flow.Applied && a.Change.Merged && len(a.Owed) == 0 && v.Request != nil && v.Request.State == flow.Applied
	})
	if !slices.ContainsFunc(w.ports.Chat.Replies(a.ID), func(r string) bool { return strings.Contains(r, "merged") }) {
		t.Errorf("replies %q lack the merge", w.ports.Chat.Replies(a.ID))
	}
	if n := w.f.Calls("GET /repos/{owner}/{repo}/issues/{n}/comments") + w.f.Calls("POST /repos/{owner}/{repo}/issues/{n}/comments"); n != 1 {
		t.Errorf("%d comment calls, want 1 (refused for good: given up)", n)
	}
	if cs := w.f.Comments(fullRepo, a.Change.Number); len(cs) != 0 {
		t.Errorf("comments %q written despite the 403", cs)
	}
}

// TestDeletedRunWatch: a run is deleted on GitHub before TfPilot saw it
// finish, so no list shows it again and reading it answers 404. Following
// it ends, with the request saying it could not follow the run, instead of
// polling for ever; another request's run in the same repository is not
// hurt by the 404 and finishes normally.
func TestDeletedRunWatch(t *testing.T) {
	w := newForeignWorld(t)
	open := func(env, name string) *flow.Request {
		w.keys++
		r, err := w.eng.Open(context.Background(), flow.Event{Kind: flow.EvStart, Key: fmt.Sprintf("k%d", w.keys), Actor: flow.Actor{ID: "U1"},
			Project: "demo", Module: "bucket", Environment: env, Inputs: map[string]string{"name": name}, Thread: &flow.Thread{Channel: "C1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.handle(r.ID, flow.EvConfirm, "U1"); err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := open("dev", "logs-a"), open("prod", "logs-b")
	gone, other := w.run(t, a.ID, "plan", 1), w.run(t, b.ID, "plan", 1)
	w.f.DeleteRun(gone.ID)
	waitFor(t, "A giving up following its deleted run", func() bool {
		r, _ := w.eng.Get(context.Background(), a.ID)
		return r.FailedEffect != nil && r.FailedEffect.Kind == flow.EffWatchRun && len(r.Owed) == 0 &&
			strings.Contains(r.Problem, fmt.Sprint(gone.ID)) && strings.Contains(r.Problem, "is no longer on GitHub: it was deleted")
	})
	w.f.CompleteRun(other.ID, "success")
	b = waitState(t, w.eng, b.ID, flow.AwaitingApproval)
	for _, h := range b.History {
		if strings.Contains(h.Note, "failed") {
			t.Errorf("B's history %q: B's watch was hurt by A's deleted run", h.Note)
		}
	}
}
