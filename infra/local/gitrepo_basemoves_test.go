package local

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBaseMoves: the paths the base branch changed between two of its
// commits, each merge's file; a base that moved backwards (rewritten) is
// an error.
func TestBaseMoves(t *testing.T) {
	g := newTestRepo(t)
	ctx := context.Background()
	b0, err := g.BaseSHA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"0123456789ab", "abcdefabcdef"} {
		ch, err := g.OpenChange(ctx, spec(id, "dev", "# "+id+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.MergeChange(ctx, "local", ch); err != nil {
			t.Fatal(err)
		}
	}
	b2, err := g.BaseSHA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.BaseMoves(ctx, "local", b0, b2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"envs/dev/tfpilot_0123456789ab.tf", "envs/dev/tfpilot_abcdefabcdef.tf"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if got, err := g.BaseMoves(ctx, "local", b2, b2); err != nil || len(got) != 0 {
		t.Errorf("nothing moved: %q, %v", got, err)
	}
	if _, err := g.BaseMoves(ctx, "local", b2, b0); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("backwards: err = %v, want the base was rewritten", err)
	}
}
