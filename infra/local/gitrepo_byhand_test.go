package local

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// TestAtBase: a change whose branch was merged outside TfPilot (here by
// git by hand) is made again at main's head with AtBase, with no commit of
// its own and its number kept; again it changes nothing, and after main
// moved it moves the branch. Its status follows its branch and main; after
// its apply, merging it (or closing it) only deletes the branch, however
// often, even after someone pushed to it. Local mode reports no pull
// request closed by hand.
func TestAtBase(t *testing.T) {
	ctx := context.Background()
	for _, finish := range []string{"merge", "close"} {
		t.Run(finish, func(t *testing.T) {
			g := newTestRepo(t)
			s := spec("a1", "dev", "# a\n")
			opened, err := g.OpenChange(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			git(t, g, "merge", "--ff-only", "--quiet", s.Branch) // a person merges and deletes the branch
			git(t, g, "branch", "-D", s.Branch)

			type view struct {
				Change          flow.Change
				Branch, Main    string
				Commits         string
				FileOnTheBranch string
			}
			s.AtBase = true
			look := func() view {
				t.Helper()
				c, err := g.OpenChange(ctx, s)
				if err != nil {
					t.Fatal(err)
				}
				return view{Change: c, Branch: git(t, g, "rev-parse", s.Branch), Main: git(t, g, "rev-parse", "main"),
					Commits: git(t, g, "rev-list", "--all", "--count"), FileOnTheBranch: git(t, g, "show", s.Branch+":"+s.Files[0].Path)}
			}
			main, commits := git(t, g, "rev-parse", "main"), git(t, g, "rev-list", "--all", "--count")
			merged := func(head string) flow.Change {
				return flow.Change{Branch: s.Branch, Number: opened.Number, URL: opened.URL, HeadSHA: head, BaseSHA: head, Merged: true, Closed: true}
			}
			want := view{Change: merged(main), Branch: main, Main: main, Commits: commits, FileOnTheBranch: "# a"}
			for i := range 2 {
				if diff := cmp.Diff(want, look()); diff != "" {
					t.Errorf("AtBase %d (-want +got):\n%s", i, diff)
				}
			}
			moved := git(t, g, "commit-tree", "main^{tree}", "-p", "main", "-m", "moved by hand")
			git(t, g, "update-ref", "refs/heads/main", moved)
			got := look()
			want = view{Change: merged(moved), Branch: moved, Main: moved, Commits: got.Commits, FileOnTheBranch: "# a"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("AtBase after main moved (-want +got):\n%s", diff)
			}

			moved2 := git(t, g, "commit-tree", "main^{tree}", "-p", "main", "-m", "moved again")
			git(t, g, "update-ref", "refs/heads/main", moved2)
			status, err := g.ChangeStatus(ctx, "local", got.Change)
			wantStatus := merged(moved)
			wantStatus.BaseSHA = moved2
			if diff := cmp.Diff(wantStatus, status); err != nil || diff != "" {
				t.Errorf("ChangeStatus after main moved: %v (-want +got):\n%s", err, diff)
			}

			// Someone pushes to the branch after the apply: it goes all the same.
			pushed := git(t, g, "commit-tree", s.Branch+"^{tree}", "-p", s.Branch, "-m", "pushed by hand")
			git(t, g, "update-ref", "refs/heads/"+s.Branch, pushed)
			for i := range 2 {
				var err error
				if finish == "merge" {
					var c flow.Change
					c, err = g.MergeChange(ctx, "local", got.Change)
					if c.Merged != true {
						t.Errorf("MergeChange %d = %+v, want merged", i, c)
					}
				} else {
					err = g.CloseChange(ctx, "local", got.Change)
				}
				if err != nil {
					t.Fatalf("%s %d: %v", finish, i, err)
				}
			}
			if b := git(t, g, "branch", "--list", "tfpilot/*"); b != "" {
				t.Errorf("branches left: %q", b)
			}
			if m := git(t, g, "rev-parse", "main"); m != moved2 {
				t.Errorf("main moved to %s, want it left at %s", m, moved2)
			}
			if closed, err := g.ClosedChanges(ctx, "local"); err != nil || closed != nil {
				t.Errorf("ClosedChanges = %v, %v; want none", closed, err)
			}
		})
	}
}
