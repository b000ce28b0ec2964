package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineFindByPrefix: the start of a label or ID finds the one request
// that has it; a start several have, or none, is told how to name a request.
func TestEngineFindByPrefix(t *testing.T) {
	ids := []string{
		"01900000-0000-7000-8000-23245e66abcd",
		"01900000-0000-7000-8000-23245e77abcd",
		"01911111-0000-7000-8000-99999e66abcd",
	}
	next := 0
	h := newHarness(t, flowtest.NewPorts(), "a", func(c *flow.Config) {
		c.NewID = func() string { next++; return ids[next-1] }
	})
	for range ids {
		h.open("dev")
	}
	h.settle()
	hint := "a request is named by its ID or its 12-character label, like 0a1b2c3d4e5f, or their first 6 or more characters (/tfpilot list shows them)"
	tests := []struct {
		ref, want, wantErr string
	}{
		{ref: "23245e66", want: ids[0]},
		{ref: "23245E66A", want: ids[0]},
		{ref: "99999e", want: ids[2]},
		{ref: "019111", want: ids[2]},
		{ref: "01911111-00", want: ids[2]},
		{ref: "23245e77abcd", want: ids[1]},
		{ref: "23245e", wantErr: `"23245e" is the start of more than one request (23245e66abcd, 23245e77abcd); type more of the label (/tfpilot list shows them)`},
		{ref: "019000", wantErr: `"019000" is the start of more than one request (23245e66abcd, 23245e77abcd); type more of the label (/tfpilot list shows them)`},
		{ref: "23245", wantErr: `there is no request "23245"; ` + hint},
		{ref: "23245e88", wantErr: `there is no request "23245e88"; ` + hint},
		{ref: "abcd", wantErr: `there is no request "abcd"; ` + hint},
		{ref: "nosuch", wantErr: `there is no request "nosuch"; ` + hint},
	}
	for _, tt := range tests {
		r, err := h.eng.Find(context.Background(), tt.ref)
		got, gotErr := "", ""
		if r != nil {
			got = r.ID
		}
		var ue *flow.UserError
		if errors.As(err, &ue) && errors.Is(err, flow.ErrNotFound) {
			gotErr = ue.Msg
		} else if err != nil {
			t.Errorf("Find(%q) error %v, want a *UserError wrapping ErrNotFound", tt.ref, err)
		}
		if diff := cmp.Diff(tt.want+tt.wantErr, got+gotErr); diff != "" {
			t.Errorf("Find(%q) (-want +got):\n%s", tt.ref, diff)
		}
	}
}
