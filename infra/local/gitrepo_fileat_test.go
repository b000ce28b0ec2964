package local

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// TestFileAt: a file's content at a commit of the base branch; a file the
// commit does not have is ErrNotFound; a folder or an unknown commit is
// another error.
func TestFileAt(t *testing.T) {
	g := newTestRepo(t)
	ctx := context.Background()
	b0, err := g.BaseSHA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const path, content = "envs/dev/tfpilot_0123456789ab.tf", "module \"tfpilot_0123456789ab\" {}\n"
	ch, err := g.OpenChange(ctx, spec("0123456789ab", "dev", content))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.MergeChange(ctx, "local", ch); err != nil {
		t.Fatal(err)
	}
	b1, err := g.BaseSHA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.FileAt(ctx, "local", b1, path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(content, string(got)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name, sha, path string
		notFound        bool
		says            string
	}{
		{"not there yet", b0, path, true, "no such file"},
		{"a folder", b1, "envs/dev", false, "it is a folder, not a file"},
		{"an unknown commit", strings.Repeat("0", 40), path, false, "the repository has no such commit"},
		{"not a commit name", "nope", path, false, "the repository has no such commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.FileAt(ctx, "local", tc.sha, tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.says) || errors.Is(err, flow.ErrNotFound) != tc.notFound {
				t.Errorf("err = %v, want one saying %q (ErrNotFound: %v)", err, tc.says, tc.notFound)
			}
		})
	}
}
