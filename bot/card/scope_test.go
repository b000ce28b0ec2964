package card

import (
	"strings"
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

// TestAddressesEscaped: an address from a forged plan cannot clear a
// terminal or reorder what a reviewer reads, in the plan, drift and scope
// sections alike; an unknown action is shown as the plan names it.
func TestAddressesEscaped(t *testing.T) {
	pol := flowtest.Policy()
	r := flowtest.RequestIn(flow.AwaitingApproval)
	r.Plan.Resources = []flow.ResourceChange{
		{Address: "module.tfpilot_0000000000aa.x.\x1b[2J\u202eevil", Action: "create"},
		{Address: "aws_iam_role.ci\x1b]0;t\x07", Action: "update"},
		{Address: "module.tfpilot_0000000000aa.y", Action: "unknown: frob\x1b[1m"},
	}
	r.Plan.Create, r.Plan.Update, r.Plan.Unknown = 1, 1, 1
	r.Plan.Drift = []flow.ResourceChange{{Address: "aws_s3_bucket.d\r\x9b2J", Action: "update"}}
	c := Status(&r, Options{Policy: &pol})
	var got []string
	for _, s := range c.Sections {
		if strings.HasPrefix(s.Title, "Plan") || strings.HasPrefix(s.Title, "Drift") || strings.HasPrefix(s.Title, "Outside") {
			got = append(got, s.Lines...)
		}
	}
	want := []string{
		"1 to create, 1 to update, 1 with an unknown action",
		`+ module.tfpilot_0000000000aa.x.\x1b[2J\u202eevil (create)`,
		`~ aws_iam_role.ci\x1b]0;t\x07 (update)`,
		`· module.tfpilot_0000000000aa.y (unknown: frob\x1b[1m)`,
		`~ aws_s3_bucket.d\x0d\x9b2J (update)`,
		"Needs acknowledgement: The plan updates 1 resource(s) outside this request's module module.tfpilot_0000000000aa: resources TfPilot did not make: " +
			"likely hand-written Terraform on main, or drift being reverted.",
		`  ~ aws_iam_role.ci\x1b]0;t\x07`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}
