package card

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestScopeOnCard: changes outside the request are listed under their own
// heading, and a blocking one leaves neither Approve nor Apply on the card.
func TestScopeOnCard(t *testing.T) {
	pol := flowtest.Policy()
	r := flowtest.RequestIn(flow.Approved)
	r.Plan.Resources = []flow.ResourceChange{
		{Address: "module.tfpilot_0000000000aa.aws_s3_bucket.this", Action: "create"},
		{Address: "module.tfpilot_0000000000bb.aws_s3_bucket.this", Action: "delete"},
		{Address: "aws_iam_role.ci", Action: "update"},
	}
	c := Status(&r, Options{Policy: &pol})
	want := Section{Title: "Outside this request (2)", Lines: []string{
		"Blocking: The plan deletes 1 resource(s) outside this request's module module.tfpilot_0000000000aa: other requests' resources: " +
			"likely a module edited on main that now changes their instances. This request cannot be approved or applied; re-plan once main is fixed, or cancel it.",
		"  - module.tfpilot_0000000000bb.aws_s3_bucket.this",
		"Needs acknowledgement: The plan updates 1 resource(s) outside this request's module module.tfpilot_0000000000aa: resources TfPilot did not make: " +
			"likely hand-written Terraform on main, or drift being reverted.",
		"  ~ aws_iam_role.ci",
	}}
	var got *Section
	for i, s := range c.Sections {
		if s.Title == want.Title {
			got = &c.Sections[i]
		}
	}
	if got == nil {
		t.Fatalf("no %q section in %+v", want.Title, c.Sections)
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("section (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[Action]bool{ActEdit: true, ActReplan: true, ActReject: true, ActCancel: true}, shown(c)); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
}
