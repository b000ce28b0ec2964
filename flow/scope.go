package flow

import (
	"fmt"
	"slices"
	"strings"
)

// A request may change only its own module block, module.tfpilot_<label>.
// ScopeFindings lists what its plan changes anywhere else; approve and
// apply (flow/step_person.go) refuse on blocking findings and ask the
// approver to acknowledge the others, and OutlookOf offers the matching
// buttons, so this file is the one home of the scope rule.

// FindingKind says what a finding asks of people.
type FindingKind int

// Finding kinds.
const (
	// FindingBlocking refuses approval and apply: the plan must change.
	FindingBlocking FindingKind = iota + 1
	// FindingNeedsAck needs an approval that names it (Event.Accepts).
	FindingNeedsAck
)

func (k FindingKind) String() string {
	switch k {
	case FindingBlocking:
		return "blocking"
	case FindingNeedsAck:
		return "needs acknowledgement"
	}
	return "unknown"
}

// Finding is something about a plan that a person must see before it is
// approved. Its ID is stable for the same plan, so an approval can name the
// findings it accepts (Approval.Accepts); later checks (stateful
// replacements, policy warnings) add findings of their own.
type Finding struct {
	ID        string      `json:"id"` // e.g. "scope:update"
	Kind      FindingKind `json:"kind"`
	Addresses []string    `json:"addresses"`
	// Text says what the plan does and its likely cause.
	Text string `json:"text"`
}

// scopeActions are the actions that change something outside a request,
// in the order findings are listed; deletes and replaces block.
var scopeActions = []struct {
	action, verb string
	kind         FindingKind
}{
	{"delete", "deletes", FindingBlocking},
	{"replace", "replaces", FindingBlocking},
	{"update", "updates", FindingNeedsAck},
	{"create", "creates", FindingNeedsAck},
	{"forget", "removes from state", FindingNeedsAck},
	{"import", "imports into state", FindingNeedsAck},
	// An action list the summariser does not know (a newer Terraform's):
	// TfPilot cannot say what it does, so it blocks like a delete.
	{"unknown", "changes, in ways TfPilot does not know,", FindingBlocking},
}

// ScopeFindings lists the planned changes of r outside its own module
// block module.tfpilot_<label> (for a destroy request, the label of its
// target, whose deletes are what it is for): one finding per action, blocking
// for deletes and replaces, needing acknowledgement otherwise. Reads and a
// preview's resources are not changes to other infrastructure.
func ScopeFindings(r *Request) []Finding {
	if r.Plan == nil || r.Label == "" {
		return nil
	}
	own := "module.tfpilot_" + r.Label
	var out []Finding
	for _, sa := range scopeActions {
		var addrs []string
		for _, rc := range r.Plan.Resources {
			if actionIs(rc.Action, sa.action) && !inModule(rc.Address, own) {
				addrs = append(addrs, rc.Address)
			}
		}
		if len(addrs) == 0 {
			continue
		}
		text := fmt.Sprintf("The plan %s %d resource(s) outside this request's module %s: %s.",
			sa.verb, len(addrs), own, likelyCause(r, addrs))
		if sa.kind == FindingBlocking {
			text += " This request cannot be approved or applied; re-plan once main is fixed, or cancel it."
		}
		out = append(out, Finding{ID: "scope:" + sa.action, Kind: sa.kind, Addresses: addrs, Text: text})
	}
	return out
}

// inModule reports whether addr is in module block mod (or one of its
// instances, mod[0], mod["a"]).
func inModule(addr, mod string) bool {
	rest, ok := strings.CutPrefix(addr, mod)
	return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "["))
}

// likelyCause explains why a plan touches addrs, which are not r's.
func likelyCause(r *Request, addrs []string) string {
	var drift, tfpilot, other bool
	for _, a := range addrs {
		switch {
		case r.Plan != nil && slices.ContainsFunc(r.Plan.Drift, func(d ResourceChange) bool { return d.Address == a }):
			drift = true
		case strings.HasPrefix(a, "module.tfpilot_"):
			tfpilot = true
		default:
			other = true
		}
	}
	var causes []string
	if drift {
		causes = append(causes, "they changed outside Terraform and the plan reverts that drift")
	}
	if tfpilot {
		causes = append(causes, "other requests' resources: likely a module edited on main that now changes their instances")
	}
	if other {
		causes = append(causes, "resources TfPilot did not make: likely hand-written Terraform on main, or drift being reverted")
	}
	return strings.Join(causes, "; ")
}

// NeedsAck returns the IDs of r's findings that an approval must accept.
func NeedsAck(r *Request) []string {
	var ids []string
	for _, f := range ScopeFindings(r) {
		if f.Kind == FindingNeedsAck {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// blocking returns the first blocking finding of r, if any.
func blocking(r *Request) (Finding, bool) {
	for _, f := range ScopeFindings(r) {
		if f.Kind == FindingBlocking {
			return f, true
		}
	}
	return Finding{}, false
}

// scopeRefusal is why approve or apply is refused because of what the plan
// changes outside the request (nil when nothing is): a blocking finding, or,
// for approve, a needs-acknowledgement finding the event does not accept.
func (s *stepper) scopeRefusal() error {
	if f, ok := blocking(&s.r); ok {
		return Userf(ErrBadEvent, f.Text)
	}
	if s.ev.Kind != EvApprove {
		return nil
	}
	var missing []string
	for _, id := range NeedsAck(&s.r) {
		if !slices.Contains(s.ev.Accepts, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return Userf(ErrBadEvent, fmt.Sprintf("this plan changes resources outside this request (%s); approve only if that is intended: "+
		"press \"Approve and acknowledge\", or type /tfpilot approve %s ack", strings.Join(missing, ", "), s.r.ID))
}

// acknowledged is what an approval records as acknowledged: the findings
// of r's plan that need it and that accepts names, in NeedsAck's order —
// never the other IDs an event names, so a forged button value cannot put
// on the record findings nobody was shown, nor grow it without bound.
func acknowledged(r *Request, accepts []string) []string {
	var out []string
	for _, id := range NeedsAck(r) {
		if slices.Contains(accepts, id) {
			out = append(out, id)
		}
	}
	return out
}

// actionIs reports whether a planned change's action is action: the
// summariser writes unknown action lists as "unknown: <actions>".
func actionIs(got, action string) bool {
	return got == action || action == "unknown" && strings.HasPrefix(got, "unknown")
}
