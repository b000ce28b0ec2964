package github

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

const listPulls = "GET /repos/{owner}/{repo}/pulls"

// openAs opens a change of reqFile's request on branch b with its own file.
func openAs(t *testing.T, e *env, b, file string) flow.Change {
	t.Helper()
	s := spec(fileContent)
	s.Branch, s.RequestID = b, b
	s.Files = []flow.FileChange{{Path: file, Content: []byte("# " + b + "\n")}}
	return mustOpen(t, e.c, s)
}

// TestClosedChanges: the pull requests of TfPilot's branches closed or
// merged by hand, newest change first; open ones, other branches and a
// fork's tfpilot/* branch are left out. Asking again while nothing changed
// is one call answered 304 with the same answer; a change shows at once.
func TestClosedChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := openAs(t, e, "tfpilot/a", "envs/dev/tfpilot_a.tf")
	b := openAs(t, e, "tfpilot/b", "envs/dev/tfpilot_b.tf")
	openAs(t, e, "tfpilot/open", "envs/dev/tfpilot_open.tf")
	other := openAs(t, e, "feature/x", "envs/dev/by_hand.tf")
	fork := e.f.OpenForkPR(fullRepo, "mallory/infra", "tfpilot/a", "looks like ours")

	e.f.MergeByHand(fullRepo, b.Number, "alice")
	e.f.ClosePR(fullRepo, other.Number)
	e.f.ClosePR(fullRepo, fork)
	e.f.MergeForkByHand(fullRepo, fork)
	e.f.ClosePR(fullRepo, a.Number) // closed last: listed first

	url := func(n int) string { return fmt.Sprintf("https://github.com/acme/infra/pull/%d", n) }
	want := []flow.Change{
		{Branch: "tfpilot/a", Number: a.Number, URL: url(a.Number), Closed: true},
		{Branch: "tfpilot/b", Number: b.Number, URL: url(b.Number), Closed: true, Merged: true},
	}
	type answer struct {
		Changes          []flow.Change
		Calls, NotModify int
	}
	ask := func() answer {
		t.Helper()
		calls, notMod := e.f.Calls(listPulls), e.f.NotModified()
		got, err := e.c.ClosedChanges(ctx, project)
		if err != nil {
			t.Fatal(err)
		}
		return answer{got, e.f.Calls(listPulls) - calls, e.f.NotModified() - notMod}
	}
	if diff := cmp.Diff(answer{want, 1, 0}, ask()); diff != "" {
		t.Errorf("first list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(answer{want, 1, 1}, ask()); diff != "" {
		t.Errorf("unchanged list (-want +got):\n%s", diff)
	}
	openPR := e.f.PullRequests(fullRepo)[2]
	e.f.ClosePR(fullRepo, openPR.Number)
	want = append([]flow.Change{{Branch: "tfpilot/open", Number: openPR.Number, URL: url(openPR.Number), Closed: true}}, want...)
	if diff := cmp.Diff(answer{want, 1, 0}, ask()); diff != "" {
		t.Errorf("after another close (-want +got):\n%s", diff)
	}
}

// atBaseView is what OpenChange with AtBase left behind.
type atBaseView struct {
	Change               flow.Change
	BranchHead, MainHead string
	NewCommits, PRs      int
	RefWrites            int // POST and PATCH of refs
}

func atBase(t *testing.T, e *env, commits int) atBaseView {
	t.Helper()
	writes := e.f.Calls("POST /repos/{owner}/{repo}/git/refs") + e.f.Calls("PATCH /repos/{owner}/{repo}/git/refs/{*}")
	s := spec(fileContent)
	s.AtBase = true
	ch := mustOpen(t, e.c, s)
	return atBaseView{Change: ch, BranchHead: e.f.Branch(fullRepo, branch), MainHead: e.f.Branch(fullRepo, "main"),
		NewCommits: e.f.CommitCount(fullRepo) - commits, PRs: len(e.f.PullRequests(fullRepo)),
		RefWrites: e.f.Calls("POST /repos/{owner}/{repo}/git/refs") + e.f.Calls("PATCH /repos/{owner}/{repo}/git/refs/{*}") - writes}
}

// TestOpenChangeAtBase: after a person merged the request's pull request,
// OpenChange with AtBase makes the branch again at main's head, with no
// commit and no pull request of its own, keeping the merged one's number;
// again it changes nothing, and after main moved it moves the branch.
func TestOpenChangeAtBase(t *testing.T) {
	e := newEnv(t)
	ch := mustOpen(t, e.c, spec(fileContent))
	e.f.MergeByHand(fullRepo, ch.Number, "alice")
	if e.f.Branch(fullRepo, branch) != "" {
		t.Fatal("the merge by hand left the branch")
	}
	merged := func(head string) flow.Change {
		return flow.Change{Branch: branch, Number: ch.Number, URL: ch.URL, HeadSHA: head, BaseSHA: head, Merged: true, Closed: true}
	}
	commits := e.f.CommitCount(fullRepo)
	main := e.f.Branch(fullRepo, "main")
	want := atBaseView{Change: merged(main), BranchHead: main, MainHead: main, PRs: 1, RefWrites: 1}
	if diff := cmp.Diff(want, atBase(t, e, commits)); diff != "" {
		t.Errorf("branch re-made (-want +got):\n%s", diff)
	}
	want.RefWrites = 0
	if diff := cmp.Diff(want, atBase(t, e, commits)); diff != "" {
		t.Errorf("again (-want +got):\n%s", diff)
	}
	moved := e.f.CommitToBranch(fullRepo, "main", map[string]string{"README.md": "moved\n"})
	want = atBaseView{Change: merged(moved), BranchHead: moved, MainHead: moved, NewCommits: 1, PRs: 1, RefWrites: 1}
	if diff := cmp.Diff(want, atBase(t, e, commits)); diff != "" {
		t.Errorf("after main moved (-want +got):\n%s", diff)
	}
	if got, _ := e.f.File(fullRepo, branch, reqFile); got != fileContent {
		t.Errorf("the re-made branch has %s = %q, want the merged file", reqFile, got)
	}
}

// TestOpenChangeAtBaseNoPR: a branch whose merged pull request cannot be
// found is still made at the base head, with number 0.
func TestOpenChangeAtBaseNoPR(t *testing.T) {
	e := newEnv(t)
	main := e.f.Branch(fullRepo, "main")
	want := atBaseView{Change: flow.Change{Branch: branch, HeadSHA: main, BaseSHA: main, Merged: true, Closed: true},
		BranchHead: main, MainHead: main, RefWrites: 1}
	if diff := cmp.Diff(want, atBase(t, e, e.f.CommitCount(fullRepo))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAfterAtBase: the change of a pull request merged by hand, its branch
// re-made at the base, is followed on its branch and main (not on the
// merged pull request); merging it after its apply deletes the branch and
// merges nothing, and so does closing it, each as often as asked.
func TestAfterAtBase(t *testing.T) {
	tests := []struct {
		name string
		do   func(e *env, ch flow.Change) (flow.Change, error)
	}{
		{"merge", func(e *env, ch flow.Change) (flow.Change, error) {
			return e.c.MergeChange(context.Background(), project, ch)
		}},
		{"close", func(e *env, ch flow.Change) (flow.Change, error) {
			return ch, e.c.CloseChange(context.Background(), project, ch)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ch := mustOpen(t, e.c, spec(fileContent))
			e.f.MergeByHand(fullRepo, ch.Number, "alice")
			s := spec(fileContent)
			s.AtBase = true
			ch = mustOpen(t, e.c, s)

			moved := e.f.CommitToBranch(fullRepo, "main", map[string]string{"README.md": "moved\n"})
			now, err := e.c.ChangeStatus(context.Background(), project, ch)
			want := ch
			want.BaseSHA = moved
			if diff := cmp.Diff(want, now); err != nil || diff != "" {
				t.Errorf("status after main moved: %v (-want +got):\n%s", err, diff)
			}

			e.f.ResetCounts()
			for i := range 2 {
				got, err := tt.do(e, ch)
				if err != nil || !got.Merged {
					t.Errorf("%s %d: %+v, %v; want the change, merged", tt.name, i, got, err)
				}
			}
			if e.f.Branch(fullRepo, branch) != "" {
				t.Error("the re-made branch is still there")
			}
			wantCalls := map[string]int{"DELETE /repos/{owner}/{repo}/git/refs/{*}": 2}
			if diff := cmp.Diff(wantCalls, e.f.Counts()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			wantPRs := []ghfake.PR{{Number: 1, Title: "tfpilot: s3-bucket in dev", Body: "Module s3-bucket, requested by <@U1>.",
				Head: branch, Base: "main", State: "closed", Merged: true, MergeMethod: "squash"}}
			if diff := cmp.Diff(wantPRs, e.f.PullRequests(fullRepo)); diff != "" {
				t.Errorf("pull requests (-want +got):\n%s", diff)
			}
		})
	}
}
