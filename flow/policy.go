package flow

import (
	"fmt"
	"slices"
	"strings"
)

// Action is something a person may be allowed to do in an environment.
type Action int

// Actions checked against the policy.
const (
	ActRequest Action = iota + 1 // start a request (and edit, confirm, re-plan it)
	ActApprove                   // approve a plan
	ActApply                     // apply an approved plan
	ActCancel                    // cancel a request (its requester, or an approver or applier the environment names)
	ActDestroy                   // request destruction of an applied request
	ActReject                    // reject a plan: the approvers, under the rules of approve
)

func (a Action) String() string {
	switch a {
	case ActRequest:
		return "request"
	case ActApprove:
		return "approve"
	case ActApply:
		return "apply"
	case ActCancel:
		return "cancel"
	case ActDestroy:
		return "destroy"
	case ActReject:
		return "reject"
	}
	return "unknown"
}

// Policy says which projects and environments exist and who may do what in
// each. It is plain data loaded at start-up (package policy reads the YAML).
type Policy struct {
	Projects      []Project     `json:"projects"`
	Environments  []Environment `json:"environments"`
	NotifyChannel string        `json:"notify_channel,omitempty"`
}

// Project is one environment repository with its own catalogue.
type Project struct {
	Name       string `json:"name"`
	Repo       string `json:"repo"` // owner/name, or a local path in local mode
	BaseBranch string `json:"base_branch"`
}

// Environment is the policy of one environment root (envs/<name>).
type Environment struct {
	Name string `json:"name"`
	// Requesters, Approvers, Appliers hold chat user IDs (U…) and user-group
	// IDs (S…); "*" means anyone. Empty Appliers means the approvers and the
	// requester may apply.
	Requesters        []string `json:"requesters"`
	Approvers         []string `json:"approvers"`
	Appliers          []string `json:"appliers"`
	ApprovalsRequired int      `json:"approvals_required"`
	AllowSelfApproval bool     `json:"allow_self_approval"`
	// LowRisk records that the policy declares the environment low-risk,
	// which acknowledges ApprovalsRequired 0 (no start-up warning). It
	// grants nothing.
	LowRisk       bool     `json:"low_risk,omitempty"`
	Modules       []string `json:"modules,omitempty"` // empty: every module
	NotifyChannel string   `json:"notify_channel,omitempty"`
}

// MayApply says who may apply (and retry an apply's dispatch or merge) in
// e: the IDs of its appliers, or, when it names none, its approvers and
// (requester true) each request's own requester.
func (e Environment) MayApply() (ids []string, requester bool) {
	if len(e.Appliers) > 0 {
		return e.Appliers, false
	}
	return e.Approvers, true
}

// Project returns the named project.
func (p Policy) Project(name string) (Project, bool) {
	for _, pr := range p.Projects {
		if pr.Name == name {
			return pr, true
		}
	}
	return Project{}, false
}

// Environment returns the named environment.
func (p Policy) Environment(name string) (Environment, bool) {
	for _, e := range p.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// RequestableEnvironments lists the environments the actor may request in.
func (p Policy) RequestableEnvironments(a Actor) []string {
	var out []string
	for _, e := range p.Environments {
		if matches(e.Requesters, a) {
			out = append(out, e.Name)
		}
	}
	return out
}

// ModuleAllowed reports whether module may be requested in environment env.
func (p Policy) ModuleAllowed(env, module string) bool {
	e, ok := p.Environment(env)
	if !ok {
		return false
	}
	return len(e.Modules) == 0 || slices.Contains(e.Modules, module)
}

// Authorize decides whether actor may do action on r now. A refusal is a
// *UserError wrapping ErrDenied whose text says why and who can.
func (p Policy) Authorize(action Action, r *Request, a Actor) error {
	if action == ActCancel {
		return p.authorizeCancel(r, a)
	}
	e, ok := p.Environment(r.Environment)
	if !ok {
		if r.Environment == "" && action == ActRequest {
			return nil // environment not chosen yet
		}
		return Userf(ErrDenied, fmt.Sprintf("environment %q is not in the policy; choose one of %s", r.Environment, strings.Join(p.environmentNames(), ", ")))
	}
	switch action {
	case ActRequest:
		if !matches(e.Requesters, a) {
			return Userf(ErrDenied, fmt.Sprintf("you are not allowed to request changes in %s; ask a platform admin to add you to its requesters", e.Name))
		}
		if r.Module != "" && !p.ModuleAllowed(e.Name, r.Module) {
			return Userf(ErrDenied, fmt.Sprintf("module %s is not allowed in %s; allowed: %v", r.Module, e.Name, e.Modules))
		}
	case ActApprove:
		if !matches(e.Approvers, a) {
			return Userf(ErrDenied, fmt.Sprintf("you are not an approver for %s", e.Name))
		}
		if a.ID == r.Requester.ID && !e.AllowSelfApproval {
			return Userf(ErrDenied, fmt.Sprintf("you cannot approve your own request in %s; ask another approver", e.Name))
		}
	case ActReject:
		if !matches(e.Approvers, a) {
			return Userf(ErrDenied, fmt.Sprintf("you are not an approver for %s, so you cannot reject its plans", e.Name))
		}
		if a.ID == r.Requester.ID && !e.AllowSelfApproval {
			return Userf(ErrDenied, fmt.Sprintf("you cannot reject the plan of your own request in %s; cancel the request instead", e.Name))
		}
	case ActApply:
		allowed, requester := e.MayApply()
		if requester {
			allowed = append(slices.Clone(allowed), r.Requester.ID)
		}
		if !matches(allowed, a) {
			return Userf(ErrDenied, fmt.Sprintf("you are not allowed to apply in %s", e.Name))
		}
	case ActDestroy:
		if !matches(e.Requesters, a) {
			return Userf(ErrDenied, fmt.Sprintf("you are not allowed to request changes in %s", e.Name))
		}
	default:
		return Userf(ErrDenied, "unknown action")
	}
	return nil
}

// authorizeCancel lets the requester cancel their request, and people the
// environment names as approvers or appliers (directly or through a group).
// "*" does not count here: it would let anyone cancel anyone's request.
func (p Policy) authorizeCancel(r *Request, a Actor) error {
	if a.ID == r.Requester.ID {
		return nil
	}
	e, ok := p.Environment(r.Environment)
	if !ok {
		return Userf(ErrDenied, fmt.Sprintf("only %s, who requested it, can cancel this request", displayName(r.Requester)))
	}
	if named(e.Approvers, a) || named(e.Appliers, a) {
		return nil
	}
	return Userf(ErrDenied, fmt.Sprintf("only %s, who requested it, or an approver or applier named in the %s policy can cancel this request",
		displayName(r.Requester), e.Name))
}

func (p Policy) environmentNames() []string {
	out := make([]string, 0, len(p.Environments))
	for _, e := range p.Environments {
		out = append(out, e.Name)
	}
	return out
}

// IsUserGroup reports whether a policy ID names a chat user group (Slack's
// S… IDs) rather than one person or "*".
func IsUserGroup(id string) bool { return strings.HasPrefix(id, "S") }

// named reports whether the actor is named in ids, directly or through one
// of their groups; "*" names nobody.
func named(ids []string, a Actor) bool {
	for _, id := range ids {
		if id != "*" && (id == a.ID || slices.Contains(a.Groups, id)) {
			return true
		}
	}
	return false
}

// matches reports whether the actor is named in ids, directly, through one of
// their groups, or by "*".
func matches(ids []string, a Actor) bool {
	for _, id := range ids {
		if id == "*" || id == a.ID || slices.Contains(a.Groups, id) {
			return true
		}
	}
	return false
}
