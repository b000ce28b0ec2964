package github

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
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
