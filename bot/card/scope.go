package card

import (
	"fmt"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
)

// ActApproveAck approves a plan and acknowledges the findings named in the
// button's value after the request ID and the plan (see [ActionEvent]).
const ActApproveAck Action = "approve_ack"

// approveAck is how an approve that accepts findings looks as a button.
var approveAck = buttonSpec{ActApproveAck, "Approve and acknowledge", StylePrimary,
	"This plan changes resources outside this request (see \"Outside this request\"). Approve it anyway?"}

// scopeSection lists what r's plan changes outside the request, finding by
// finding (flow.ScopeFindings), each marked blocking or needing
// acknowledgement, with its likely cause and addresses.
func scopeSection(r *flow.Request) (Section, bool) {
	fs := flow.ScopeFindings(r)
	if len(fs) == 0 {
		return Section{}, false
	}
	n := 0
	var lines []string
	for _, f := range fs {
		n += len(f.Addresses)
		mark := "Blocking"
		if f.Kind == flow.FindingNeedsAck {
			mark = "Needs acknowledgement"
		}
		lines = append(lines, mark+": "+f.Text)
		for _, a := range f.Addresses {
			lines = append(lines, "  "+actionMark(strings.TrimPrefix(f.ID, "scope:"))+" "+address(a))
		}
	}
	lines, more := Head(lines, MaxPlanLines)
	return Section{Title: fmt.Sprintf("Outside this request (%d)", n), Lines: lines, More: more}, true
}
