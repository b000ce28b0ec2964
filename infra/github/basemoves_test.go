package github

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBaseMoves: the paths the base branch changed between two of its
// commits, from GitHub's compare; a base that did not move forward or a
// list GitHub cuts is an error, never a partial answer.
func TestBaseMoves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b0 := e.f.Branch(fullRepo, "main")
	b1 := e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/tfpilot_0123456789ab.tf": "# a request\n"})
	b2 := e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/prod/tfpilot_abcdefabcdef.tf": "# another\n", "README.md": "moved\n"})
	many := map[string]string{}
	for i := range maxCompareFiles {
		many[fmt.Sprintf("docs/f%03d.md", i)] = "x\n"
	}
	b3 := e.f.CommitToBranch(fullRepo, "main", many)
	// Hand-written Terraform given a request file's name: GitHub reports
	// one renamed file; both names are listed, so the old one is judged.
	b4 := e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/main.tf": "resource \"x\" \"y\" {}\n"})
	b5 := e.f.CommitToBranch(fullRepo, "main", map[string]string{"envs/dev/main.tf": "", "envs/dev/tfpilot_00000000beef.tf": "resource \"x\" \"y\" {}\n"})

	for _, tc := range []struct {
		name     string
		from, to string
		want     []string
		err      string
	}{
		{"one commit", b0, b1, []string{"envs/dev/tfpilot_0123456789ab.tf"}, ""},
		{"two commits", b0, b2, []string{"README.md", "envs/dev/tfpilot_0123456789ab.tf", "envs/prod/tfpilot_abcdefabcdef.tf"}, ""},
		{"nothing moved", b1, b1, nil, ""},
		{"backwards: the base was rewritten", b2, b1, nil, "did not move forward (behind)"},
		{"more files than GitHub lists", b2, b3, nil, "more than GitHub lists"},
		{"an unknown commit", b0, strings.Repeat("0", 40), nil, "compare main"},
		{"a file renamed to a request file's name", b4, b5, []string{"envs/dev/tfpilot_00000000beef.tf", "envs/dev/main.tf"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.c.BaseMoves(ctx, project, tc.from, tc.to)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := e.c.BaseMoves(ctx, "nope", b0, b1); err == nil {
		t.Error("a project that is not configured: no error")
	}
}
