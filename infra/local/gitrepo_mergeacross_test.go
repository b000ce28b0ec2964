package local

import (
	"context"
	"errors"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
)

// TestMergeAcrossOtherRequests: a change whose base moved only by another
// request's file, even in its own environment, is merged across it (each
// request file is its own module block, applied by its own request); a
// hand-written file in its folder still makes the merge stale.
func TestMergeAcrossOtherRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other string
		stale bool
	}{
		{"another request's file", "0123456789ab", false},
		{"a hand-written file", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestRepo(t)
			ctx := context.Background()
			mine, err := g.OpenChange(ctx, spec("abcdefabcdef", "dev", "# mine\n"))
			if err != nil {
				t.Fatal(err)
			}
			moving := spec("0123456789ab", "dev", "# another request\n")
			if tc.other == "" {
				moving.Files[0].Path = "envs/dev/handmade.tf"
			}
			other, err := g.OpenChange(ctx, moving)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.MergeChange(ctx, "local", other); err != nil {
				t.Fatal(err)
			}
			got, err := g.MergeChange(ctx, "local", mine)
			if stale := errors.Is(err, flow.ErrStale); stale != tc.stale || !tc.stale && (err != nil || !got.Merged) {
				t.Errorf("merge: merged %v, err %v; want stale %v", got.Merged, err, tc.stale)
			}
		})
	}
}
