package tfplan

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// TestSummaryKeepsScope: the summary of a plan that changes resources
// outside the request keeps every address and action, so flow finds them:
// another request's delete blocks, its update and the hand-written replace
// are findings of their own, and the request's own creates are none.
func TestSummaryKeepsScope(t *testing.T) {
	data, err := os.ReadFile("testdata/handmade_scope_plan.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(data)
	if err != nil {
		t.Fatal(err)
	}
	r := flow.Request{Kind: flow.KindCreate, Label: "00000000aaaa", Plan: &s}
	type finding struct {
		ID        string
		Kind      flow.FindingKind
		Addresses []string
	}
	var got []finding
	for _, f := range flow.ScopeFindings(&r) {
		got = append(got, finding{f.ID, f.Kind, f.Addresses})
	}
	want := []finding{
		{"scope:delete", flow.FindingBlocking, []string{"module.tfpilot_00000000bbbb.terraform_data.gone"}},
		{"scope:replace", flow.FindingBlocking, []string{"terraform_data.rep"}},
		{"scope:update", flow.FindingNeedsAck, []string{"module.tfpilot_00000000bbbb.terraform_data.upd"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
