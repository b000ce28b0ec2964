package github

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestFileAt: a file's content at a commit of the base branch, from
// GitHub's contents API; a file the commit does not have is ErrNotFound;
// a folder, a file over 1 MB or an unknown commit is another error. A
// path read once at a commit is not asked for again.
func TestFileAt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	long := strings.Repeat("# a long comment line\n", 100)
	b1 := e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/tfpilot_0123456789ab.tf": long, "big.bin": strings.Repeat("y", flow.MaxFileAt+1)})
	b2 := e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/tfpilot_0123456789ab.tf": "", "envs/dev/tfpilot_abcdefabcdef.tf": "module {}\n"})
	for _, tc := range []struct {
		name, sha, path string
		want            string
		err             error  // matched with errors.Is
		says            string // in the error
	}{
		{"a file", b1, "envs/dev/tfpilot_0123456789ab.tf", long, nil, ""},
		{"another commit", b2, "envs/dev/tfpilot_abcdefabcdef.tf", "module {}\n", nil, ""},
		{"a file deleted since", b2, "envs/dev/tfpilot_0123456789ab.tf", "", flow.ErrNotFound, "no such file"},
		{"a file not there yet", b1, "envs/dev/tfpilot_abcdefabcdef.tf", "", flow.ErrNotFound, "no such file"},
		{"a folder", b2, "envs/dev", "", nil, "it is a folder, not a file"},
		{"a file over 1 MiB", b2, "big.bin", "", nil, "more than TfPilot reads"},
		{"an unknown commit", strings.Repeat("0", 40), "envs/dev/tfpilot_abcdefabcdef.tf", "", nil, "GitHub knows no such commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.c.FileAt(ctx, project, tc.sha, tc.path)
			if tc.says != "" {
				if err == nil || !strings.Contains(err.Error(), tc.says) || tc.err != nil && !errors.Is(err, tc.err) || tc.err == nil && errors.Is(err, flow.ErrNotFound) {
					t.Fatalf("err = %v, want one saying %q (ErrNotFound: %v)", err, tc.says, tc.err != nil)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
		})
	}
	calls := e.f.Calls("GET /repos/{owner}/{repo}/contents/{*}")
	for _, path := range []string{"envs/dev/tfpilot_0123456789ab.tf", "envs/dev/tfpilot_abcdefabcdef.tf"} {
		for _, sha := range []string{b1, b2} {
			_, _ = e.c.FileAt(ctx, project, sha, path)
		}
	}
	if got := e.f.Calls("GET /repos/{owner}/{repo}/contents/{*}"); got != calls {
		t.Errorf("%d more calls for files read before at the same commits, want none", got-calls)
	}
	if _, err := e.c.FileAt(ctx, "nope", b1, "envs/dev/x.tf"); err == nil {
		t.Error("a project that is not configured: no error")
	}
}

// TestFileAtAttacks: what a hostile writer to the repository, or GitHub
// itself, can put in the way of FileAt. Only a file GitHub says is not
// there is ErrNotFound (which lets a carry skip it): a symlink, a
// submodule or a rate-limited read is an error, so the approval does not
// carry. A branch name is read again each time; a large file is not kept.
func TestFileAtAttacks(t *testing.T) {
	const contents = "GET /repos/{owner}/{repo}/contents/{*}"
	const reqPath = "envs/dev/tfpilot_0123456789ab.tf"
	ctx := context.Background()
	answer := func(status int, body string) func(time.Time) ghfake.Fault {
		return func(time.Time) ghfake.Fault { return ghfake.Fault{Endpoint: contents, Status: status, Body: body} }
	}
	for _, tc := range []struct {
		name  string
		fault func(now time.Time) ghfake.Fault
		says  string
	}{
		// A symlink whose target is a file in the repository is answered
		// with the target's content (type "file"), which is what Terraform
		// reads through it; any other symlink is described, not followed.
		{"a symlink", answer(200, `{"type":"symlink","target":"../../../etc/passwd","name":"tfpilot_0123456789ab.tf","path":"`+reqPath+`","size":17,"sha":"`+strings.Repeat("a", 40)+`"}`),
			"it is a symlink, not a file"},
		{"a submodule", answer(200, `{"type":"submodule","submodule_git_url":"https://example.com/x.git","name":"tfpilot_0123456789ab.tf","path":"`+reqPath+`","size":0,"sha":"`+strings.Repeat("b", 40)+`"}`),
			"it is a submodule, not a file"},
		{"rate limited for an hour", func(now time.Time) ghfake.Fault {
			return ghfake.Fault{Endpoint: contents, Status: 403, Body: `{"message":"API rate limit exceeded"}`,
				Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}}
		}, "rate limit"},
		{"forbidden", answer(403, `{"message":"Resource not accessible by integration"}`), "contents:read"},
		{"content not base64", answer(200, `{"type":"file","encoding":"none","content":"","name":"x","path":"`+reqPath+`","size":2000000}`),
			"more than TfPilot reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			sha := e.f.CommitToBranch(fullRepo, "main", map[string]string{reqPath: "module {}\n"})
			e.f.Inject(tc.fault(e.clk.Now()))
			_, err := e.c.FileAt(ctx, project, sha, reqPath)
			if err == nil || errors.Is(err, flow.ErrNotFound) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want one saying %q, not ErrNotFound", err, tc.says)
			}
		})
	}

	t.Run("a path with URL-special characters", func(t *testing.T) {
		e := newEnv(t)
		p := "envs/a b?c#d%e&f+g/tfpilot_0123456789ab.tf"
		sha := e.f.CommitToBranch(fullRepo, "main", map[string]string{p: "x\n", "envs/a b/tfpilot_0123456789ab.tf": "y\n"})
		got, err := e.c.FileAt(ctx, project, sha, p)
		if err != nil || string(got) != "x\n" {
			t.Errorf("FileAt = %q, %v; want %q", got, err, "x\n")
		}
	})

	t.Run("a branch name is read again", func(t *testing.T) {
		e := newEnv(t)
		e.f.CommitToBranch(fullRepo, "main", map[string]string{reqPath: "one\n"})
		first, err := e.c.FileAt(ctx, project, "main", reqPath)
		if err != nil {
			t.Fatal(err)
		}
		e.f.CommitToBranch(fullRepo, "main", map[string]string{reqPath: "two\n"})
		second, err := e.c.FileAt(ctx, project, "main", reqPath)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"one\n", "two\n"}, []string{string(first), string(second)}); diff != "" {
			t.Errorf("reads of main (-want +got):\n%s", diff)
		}
	})

	t.Run("a large file is not kept", func(t *testing.T) {
		e := newEnv(t)
		big := strings.Repeat("# padding\n", 60_000) // 600 KB, under MaxFileAt
		sha := e.f.CommitToBranch(fullRepo, "main", map[string]string{reqPath: big, "envs/dev/tfpilot_abcdefabcdef.tf": "module {}\n"})
		e.f.ResetCounts()
		for range 2 {
			for _, p := range []string{reqPath, "envs/dev/tfpilot_abcdefabcdef.tf"} {
				if got, err := e.c.FileAt(ctx, project, sha, p); err != nil || len(got) == 0 {
					t.Fatalf("FileAt %s = %d bytes, %v", p, len(got), err)
				}
			}
		}
		e.c.mu.Lock()
		kept := 0
		for _, f := range e.c.files {
			kept += len(f.content)
		}
		for _, g := range e.c.etags {
			kept += len(g.body)
		}
		e.c.mu.Unlock()
		if n := e.f.Calls(contents); n != 3 || kept > maxCachedFile {
			t.Errorf("%d calls (want 3: the large file twice, the small one once), %d bytes kept (want at most %d)", n, kept, maxCachedFile)
		}
	})
}
