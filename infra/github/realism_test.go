package github

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestMergeBaseModifiedIsTransient: GitHub's 405 "Base branch was
// modified" is a race a retry wins, so MergeChange returns ErrTransient (the
// engine retries) rather than a refusal; once the base really moved the
// retry updates the branch (ErrStale) and the next merge lands. A 405 of
// branch protection stays a refusal.
func TestMergeBaseModifiedIsTransient(t *testing.T) {
	tests := []struct {
		name        string
		moveBase    bool   // the base really moved under the merge
		protect     string // branch protection's reason, kept throughout
		wantErrs    []error
		wantMerged  bool
		wantRefusal bool
	}{
		{name: "base modified once", wantErrs: []error{flow.ErrTransient, nil}, wantMerged: true},
		{name: "base modified and moved", moveBase: true, wantErrs: []error{flow.ErrTransient, flow.ErrStale, nil}, wantMerged: true},
		{name: "branch protection", protect: "Required status check \"plan\" is expected.",
			wantErrs: []error{flow.ErrMergeRefused, flow.ErrMergeRefused}, wantRefusal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ch := mustOpen(t, e.c, spec(fileContent))
			if tt.protect != "" {
				e.f.ProtectBase(fullRepo, tt.protect)
			} else {
				fl := ghfake.BaseModifiedFault()
				if tt.moveBase {
					fl.Before = func() { e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/handmade.tf": "# moved\n"}) }
				}
				e.f.Inject(fl)
			}
			var got []error
			for range tt.wantErrs {
				next, err := e.c.MergeChange(context.Background(), project, ch)
				got = append(got, err)
				if errors.Is(err, flow.ErrStale) {
					next, _ = e.c.ChangeStatus(context.Background(), project, next) // the engine's EvChangeMoved
				}
				if err == nil || errors.Is(err, flow.ErrStale) {
					ch = next
				}
			}
			for i, want := range tt.wantErrs {
				if !errors.Is(got[i], want) || (want == flow.ErrTransient && errors.Is(got[i], flow.ErrMergeRefused)) {
					t.Errorf("merge attempt %d: err %v, want %v", i+1, got[i], want)
				}
			}
			if prs := e.f.PullRequests(fullRepo); prs[0].Merged != tt.wantMerged || ch.Merged != tt.wantMerged {
				t.Errorf("PR merged %v, change merged %v, want %v", prs[0].Merged, ch.Merged, tt.wantMerged)
			}
			if got, _ := e.f.File(fullRepo, "main", reqFile); tt.wantMerged && got != fileContent {
				t.Errorf("main has %q", got)
			}
		})
	}
}

// TestCommitAuthorMarksGitNames: a commit GitHub links to an account is
// named by its login; one it links to none is named by its git author
// name, which anyone can set, so the name is marked unverified.
func TestCommitAuthorMarksGitNames(t *testing.T) {
	e := newEnv(t)
	ch := mustOpen(t, e.c, spec(fileContent))
	shas := map[string]string{
		"linked":   e.f.PushAs(fullRepo, branch, "mallory", map[string]string{"envs/dev/a.tf": "# a\n"}),
		"unlinked": e.f.PushAsGitAuthor(fullRepo, branch, "Jane Doe", map[string]string{"envs/dev/b.tf": "# b\n"}),
		"app":      ch.HeadSHA,
	}
	got := map[string]string{}
	for k, sha := range shas {
		name, err := e.c.CommitAuthor(context.Background(), project, sha)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		got[k] = name
	}
	want := map[string]string{"linked": "mallory", "unlinked": "Jane Doe (unverified git author)", "app": ghfake.AppLogin}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("authors (-want +got):\n%s", diff)
	}
}
