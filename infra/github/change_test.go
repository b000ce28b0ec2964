package github

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

func TestOpenChangeCreatesOneCommitAndPR(t *testing.T) {
	e := newEnv(t)
	base := e.f.Branch(fullRepo, "main")
	ch := mustOpen(t, e.c, spec(fileContent))

	want := flow.Change{Branch: branch, Number: 1, URL: "https://github.com/acme/infra/pull/1",
		HeadSHA: e.f.Branch(fullRepo, branch), BaseSHA: base}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	if got, _ := e.f.File(fullRepo, branch, reqFile); got != fileContent {
		t.Errorf("file on branch = %q", got)
	}
	wantPRs := []ghfake.PR{{Number: 1, Title: "tfpilot: s3-bucket in dev", Body: "Module s3-bucket, requested by <@U1>.",
		Head: branch, Base: "main", State: "open"}}
	if diff := cmp.Diff(wantPRs, e.f.PullRequests(fullRepo)); diff != "" {
		t.Errorf("pull requests (-want +got):\n%s", diff)
	}
	wantCalls := map[string]int{
		"GET /repos/{owner}/{repo}/branches/{*}":    1,
		"GET /repos/{owner}/{repo}/git/ref/{*}":     1,
		"GET /repos/{owner}/{repo}/git/trees/{sha}": 1,
		"POST /repos/{owner}/{repo}/git/trees":      1,
		"POST /repos/{owner}/{repo}/git/commits":    1,
		"POST /repos/{owner}/{repo}/git/refs":       1,
		"POST /repos/{owner}/{repo}/pulls":          1,
	}
	if diff := cmp.Diff(wantCalls, e.f.Counts()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestOpenChangeIdempotent crashes (or loses an answer) at each step and
// opens again: there must be exactly one branch and one open PR, and a
// restarted attempt must not write a second commit once the ref exists.
func TestOpenChangeIdempotent(t *testing.T) {
	const (
		postRefs  = "POST /repos/{owner}/{repo}/git/refs"
		postPulls = "POST /repos/{owner}/{repo}/pulls"
		postTree  = "POST /repos/{owner}/{repo}/git/trees"
		postComm  = "POST /repos/{owner}/{repo}/git/commits"
	)
	tests := []struct {
		name           string
		fault          ghfake.Fault
		firstErr       bool // the first attempt fails (a crash); a restarted client opens again
		wantNewCommits int
	}{
		{name: "no fault", wantNewCommits: 1},
		{name: "ref answer lost, retried POST answers 422", fault: ghfake.Fault{Endpoint: postRefs, Drop: true, AfterHandling: true}, wantNewCommits: 1},
		{name: "pull answer lost, retried POST answers 422", fault: ghfake.Fault{Endpoint: postPulls, Drop: true, AfterHandling: true}, wantNewCommits: 1},
		{name: "crash after tree", fault: ghfake.Fault{Endpoint: postComm, Status: 502, Times: 5}, firstErr: true, wantNewCommits: 1},
		{name: "crash after commit", fault: ghfake.Fault{Endpoint: postRefs, Status: 502, Times: 5}, firstErr: true, wantNewCommits: 2},
		{name: "crash after ref", fault: ghfake.Fault{Endpoint: postPulls, Status: 502, Times: 5}, firstErr: true, wantNewCommits: 1},
		{name: "tree answer lost", fault: ghfake.Fault{Endpoint: postTree, Drop: true, AfterHandling: true}, wantNewCommits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			commits := e.f.CommitCount(fullRepo)
			if tt.fault.Endpoint != "" {
				e.f.Inject(tt.fault)
			}
			_, err := e.c.OpenChange(context.Background(), spec(fileContent))
			if (err != nil) != tt.firstErr {
				t.Fatalf("first OpenChange error = %v, want error %v", err, tt.firstErr)
			}
			again := mustOpen(t, e.client(t), spec(fileContent)) // restarted process
			if got := len(e.f.PullRequests(fullRepo)); got != 1 {
				t.Errorf("%d pull requests, want 1", got)
			}
			if again.Number != 1 || again.HeadSHA != e.f.Branch(fullRepo, branch) {
				t.Errorf("second OpenChange = %+v, branch head %s", again, e.f.Branch(fullRepo, branch))
			}
			if got := e.f.CommitCount(fullRepo) - commits; got != tt.wantNewCommits {
				t.Errorf("%d new commits, want %d", got, tt.wantNewCommits)
			}
		})
	}
}

func TestOpenChangeRefusesToOverwrite(t *testing.T) {
	e := newEnv(t)
	e.f.CommitToBranch(fullRepo, "main", map[string]string{reqFile: "# someone else's file\n"})
	_, err := e.c.OpenChange(context.Background(), spec(fileContent))
	if !errors.Is(err, flow.ErrConflict) || !strings.Contains(err.Error(), reqFile+" already exists on main") {
		t.Fatalf("err = %v, want ErrConflict naming the path", err)
	}
	if n := e.f.Calls("POST /repos/{owner}/{repo}/git/trees"); n != 0 {
		t.Errorf("%d trees written after a conflict", n)
	}
}

func TestOpenChangeEditedInputsUpdateBranch(t *testing.T) {
	e := newEnv(t)
	first := mustOpen(t, e.c, spec(fileContent))
	second := mustOpen(t, e.c, spec(fileContent+"# edited\n"))
	if second.HeadSHA == first.HeadSHA || second.Number != first.Number || second.BaseSHA != first.BaseSHA {
		t.Errorf("second = %+v, first = %+v", second, first)
	}
	if got, _ := e.f.File(fullRepo, branch, reqFile); got != fileContent+"# edited\n" {
		t.Errorf("file = %q", got)
	}
}

// TestOpenChangeRebuildsOnCurrentBase: an existing branch that is not the
// change's one commit on the current base head (the base moved, someone
// pushed to it) is built again on the current base and force-updated; a
// current branch is left alone.
func TestOpenChangeRebuildsOnCurrentBase(t *testing.T) {
	const patchRef = "PATCH /repos/{owner}/{repo}/git/refs/{*}"
	tests := []struct {
		name        string
		move        func(f *ghfake.Fake)
		wantRebuilt bool
	}{
		{"current branch left alone", func(*ghfake.Fake) {}, false},
		{"base moved", func(f *ghfake.Fake) {
			f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/tfpilot_other.tf": "# another request\n"})
		}, true},
		{"someone pushed an extra file", func(f *ghfake.Fake) {
			f.CommitToBranch(fullRepo, branch, map[string]string{"envs/dev/by_hand.tf": "# pushed by hand\n"})
		}, true},
		{"someone edited the file on the branch", func(f *ghfake.Fake) {
			f.CommitToBranch(fullRepo, branch, map[string]string{reqFile: "# edited by hand\n"})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first := mustOpen(t, e.c, spec(fileContent))
			tt.move(e.f)
			moved := e.f.Branch(fullRepo, branch)
			e.f.ResetCounts()
			again := mustOpen(t, e.client(t), spec(fileContent)) // a restarted process, no cached trees

			base := e.f.Branch(fullRepo, "main")
			type view struct {
				Rebuilt    bool
				Change     flow.Change
				Parents    []string
				Files      map[string]string
				ForcePatch int
			}
			want := view{Rebuilt: tt.wantRebuilt,
				Change:  flow.Change{Branch: branch, Number: first.Number, URL: first.URL, HeadSHA: e.f.Branch(fullRepo, branch), BaseSHA: base},
				Parents: []string{base}, Files: map[string]string{reqFile: fileContent, "envs/dev/by_hand.tf": ""}}
			if tt.wantRebuilt {
				want.ForcePatch = 1
			}
			got := view{Rebuilt: again.HeadSHA != moved, Change: again, Parents: e.f.Parents(fullRepo, again.HeadSHA),
				Files: map[string]string{}, ForcePatch: e.f.Calls(patchRef)}
			for p := range want.Files {
				got.Files[p], _ = e.f.File(fullRepo, branch, p)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after OpenChange again (-want +got):\n%s", diff)
			}
			if n := len(e.f.PullRequests(fullRepo)); n != 1 {
				t.Errorf("%d pull requests, want 1", n)
			}
		})
	}
}

func TestDestroyDeletesFile(t *testing.T) {
	e := newEnv(t)
	e.f.CommitToBranch(fullRepo, "main", map[string]string{reqFile: fileContent})
	s := spec("")
	s.Files = []flow.FileChange{{Path: reqFile, Delete: true}}
	ch := mustOpen(t, e.c, s)
	if _, ok := e.f.File(fullRepo, branch, reqFile); ok {
		t.Fatal("file still on the destroy branch")
	}
	if _, ok := e.f.File(fullRepo, branch, "envs/dev/backend.tf"); !ok {
		t.Fatal("destroy commit lost other files")
	}
	if _, err := e.c.MergeChange(context.Background(), project, ch); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.f.File(fullRepo, "main", reqFile); ok {
		t.Error("file still on main after merging the destroy")
	}
	s.Branch = "tfpilot/other"
	if _, err := e.c.OpenChange(context.Background(), s); !errors.Is(err, flow.ErrNotFound) {
		t.Errorf("destroying a missing file: err = %v, want ErrNotFound", err)
	}
}

func TestMergeChange(t *testing.T) {
	tests := []struct {
		name       string
		before     func(e *env, ch *flow.Change)
		wantErr    error
		wantMerged bool
		wantUpdate int
		wantReason string // a refusal's reason, as people read it
	}{
		{name: "base unchanged", wantMerged: true},
		{name: "base moved in its environment: update branch, stale", wantErr: flow.ErrStale, wantUpdate: 1,
			before: func(e *env, _ *flow.Change) {
				e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/handmade.tf": "# moved\n"})
			}},
		{name: "base moved in modules/: update branch, stale", wantErr: flow.ErrStale, wantUpdate: 1,
			before: func(e *env, _ *flow.Change) {
				e.f.CommitToBranch(fullRepo, "main", map[string]string{"modules/s3-bucket/extra.tf": "# moved\n"})
			}},
		{name: "base moved by another request's file in its environment: merged across", wantMerged: true,
			before: func(e *env, _ *flow.Change) {
				e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/tfpilot_0123456789ab.tf": "# another request\n"})
			}},
		{name: "base moved by a hand-written file named like no request: update branch, stale", wantErr: flow.ErrStale, wantUpdate: 1,
			before: func(e *env, _ *flow.Change) {
				e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/tfpilot_0123456789ab_override.tf": "# moved\n"})
			}},
		{name: "base moved elsewhere (another environment): merged across", wantMerged: true,
			before: func(e *env, _ *flow.Change) {
				e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/prod/tfpilot_other.tf": "# another request\n", "README.md": "moved\n"})
			}},
		{name: "head moved after plan", wantErr: flow.ErrStale,
			before: func(e *env, _ *flow.Change) { e.f.CommitToBranch(fullRepo, branch, map[string]string{"x.tf": "x\n"}) }},
		{name: "already merged (the base moved by our merge)", wantMerged: true, wantUpdate: 1,
			before: func(e *env, ch *flow.Change) {
				if _, err := e.c.MergeChange(context.Background(), project, *ch); err != nil {
					panic(err)
				}
			}},
		{name: "closed by someone", wantErr: flow.ErrMergeRefused,
			before: func(e *env, ch *flow.Change) { e.f.ClosePR(fullRepo, ch.Number) }},
		{name: "refused by branch protection", wantErr: flow.ErrMergeRefused,
			wantReason: "GitHub refused to merge pull request #1: At least 1 approving review is required by reviewers with write access.",
			before: func(e *env, _ *flow.Change) {
				e.f.ProtectBase(fullRepo, "At least 1 approving review is required by reviewers with write access.")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ch := mustOpen(t, e.c, spec(fileContent))
			if tt.before != nil {
				tt.before(e, &ch)
			}
			got, err := e.c.MergeChange(context.Background(), project, ch)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var refused *flow.MergeRefusedError
			if tt.wantReason != "" && (!errors.As(err, &refused) || refused.Reason != tt.wantReason) {
				t.Errorf("err = %v, want a refusal with reason %q", err, tt.wantReason)
			}
			if got.Merged != tt.wantMerged {
				t.Errorf("Merged = %v, want %v", got.Merged, tt.wantMerged)
			}
			prs := e.f.PullRequests(fullRepo)
			if prs[0].Merged != tt.wantMerged || (tt.wantMerged && prs[0].MergeMethod != "squash") {
				t.Errorf("PR = %+v", prs[0])
			}
			if tt.wantMerged {
				if e.f.Branch(fullRepo, branch) != "" {
					t.Error("branch not deleted after merge")
				}
				if got, _ := e.f.File(fullRepo, "main", reqFile); got != fileContent {
					t.Errorf("main has %q", got)
				}
			}
			if n := e.f.Calls("PUT /repos/{owner}/{repo}/pulls/{n}/update-branch"); n != tt.wantUpdate {
				t.Errorf("update-branch called %d times, want %d", n, tt.wantUpdate)
			}
			if tt.wantUpdate > 0 && !tt.wantMerged {
				if e.f.Branch(fullRepo, branch) == "" {
					t.Error("branch gone after an update")
				}
			}
			if tt.name == "base moved elsewhere (another environment): merged across" {
				if got, _ := e.f.File(fullRepo, "main", "envs/prod/tfpilot_other.tf"); got == "" {
					t.Error("the other environment's file lost in the merge")
				}
			}
		})
	}
}

func TestChangeStatusAndClose(t *testing.T) {
	e := newEnv(t)
	ch := mustOpen(t, e.c, spec(fileContent))
	moved := e.f.CommitToBranch(fullRepo, "main", map[string]string{"README.md": "moved\n"})
	got, err := e.c.ChangeStatus(context.Background(), project, ch)
	if err != nil {
		t.Fatal(err)
	}
	want := ch
	want.BaseSHA = moved
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	for i := 0; i < 2; i++ { // closing twice is fine
		if err := e.c.CloseChange(context.Background(), project, ch); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
	if prs := e.f.PullRequests(fullRepo); prs[0].State != "closed" || e.f.Branch(fullRepo, branch) != "" {
		t.Errorf("after close: PR %+v, branch %q", prs[0], e.f.Branch(fullRepo, branch))
	}
	if got, err := e.c.ChangeStatus(context.Background(), project, ch); err != nil || !got.Closed || got.Merged {
		t.Errorf("status of a closed change: %+v, %v; want closed, not merged", got, err)
	}
}

// TestChangeStatusClosedByHand: a pull request someone closed on GitHub is
// reported closed by ChangeStatus, so the engine cancels the request.
func TestChangeStatusClosedByHand(t *testing.T) {
	e := newEnv(t)
	ch := mustOpen(t, e.c, spec(fileContent))
	if got, err := e.c.ChangeStatus(context.Background(), project, ch); err != nil || got.Closed {
		t.Fatalf("open change: %+v, %v", got, err)
	}
	e.f.ClosePR(fullRepo, ch.Number)
	got, err := e.c.ChangeStatus(context.Background(), project, ch)
	if err != nil {
		t.Fatal(err)
	}
	want := ch
	want.Closed = true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status after a close by hand (-want +got):\n%s", diff)
	}
}
