package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineCatalogOfUnknownProject checks that a project the policy does
// not name gets no catalogue (the fake would serve one for any name) but a
// refusal listing the projects there are.
func TestEngineCatalogOfUnknownProject(t *testing.T) {
	h := newHarness(t, flowtest.NewPorts(), "a")
	tests := []struct {
		project string
		want    string
	}{
		{"nosuchproject", `project "nosuchproject" is not configured; choose one of demo`},
		{"", "say which project: one of demo"},
	}
	for _, tt := range tests {
		t.Run(tt.project, func(t *testing.T) {
			cat, err := h.eng.Catalog(context.Background(), tt.project)
			var ue *flow.UserError
			if cat != nil || !errors.As(err, &ue) || !errors.Is(err, flow.ErrNotFound) {
				t.Fatalf("Catalog(%q) = %v, %v; want no catalogue and a UserError wrapping ErrNotFound", tt.project, cat, err)
			}
			if diff := cmp.Diff(tt.want, ue.Msg); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := h.eng.Catalog(context.Background(), "demo"); err != nil {
		t.Errorf("Catalog(demo): %v", err)
	}
}
