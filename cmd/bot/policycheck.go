package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/policy"
)

// checkCatalogs refuses a policy whose environment names a project's modules
// cannot take (policy.File.CheckCatalog), reading each project's catalogue
// through cats. A catalogue that cannot be read is not a verdict on the
// policy: it is returned in unread for the caller to report, and the
// engine reports it again on the first request that needs it.
func checkCatalogs(ctx context.Context, f *policy.File, cats flow.Catalogs) (unread []error, err error) {
	var problems []string
	for _, p := range f.Policy.Projects {
		cat, err := cats.Catalog(ctx, p.Name)
		if err != nil {
			unread = append(unread, fmt.Errorf("catalogue of project %s: %w", p.Name, err))
			continue
		}
		if err := f.CheckCatalog(p.Name, cat); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return unread, errors.New(strings.Join(problems, "\n"))
	}
	return unread, nil
}

// logPolicyWarnings logs what the policy allows that an operator should
// know (policy.Warnings), one warning line each.
func logPolicyWarnings(log *zap.Logger, pol flow.Policy) {
	for _, w := range policy.Warnings(pol) {
		log.Warn("policy", zap.String("warning", w))
	}
}

// describePolicy writes who may do what in each environment, for people
// checking a policy before they deploy it. Who may apply comes from
// flow.Environment.MayApply, the rule Authorize uses.
func describePolicy(w io.Writer, pol flow.Policy) {
	for _, p := range pol.Projects {
		fmt.Fprintf(w, "project %s: %s (base branch %s)\n", p.Name, p.Repo, p.BaseBranch)
	}
	for _, e := range pol.Environments {
		title := "environment " + e.Name
		if e.LowRisk {
			title += " (low risk)"
		}
		fmt.Fprintf(w, "\n%s\n", title)
		row := func(k, v string) { fmt.Fprintf(w, "  %-15s %s\n", k+":", v) }
		row("request", people(e.Requesters))
		row("approve", people(e.Approvers))
		appliers, requester := e.MayApply()
		apply := people(appliers)
		if requester && !slices.Contains(appliers, "*") {
			apply = "the approvers (" + apply + ") and the requester"
		}
		row("apply", apply)
		switch {
		case e.AllowSelfApproval:
			row("self-approval", "allowed: a requester who is an approver may approve their own request")
		default:
			row("self-approval", "not allowed: the requester cannot approve their own request")
		}
		switch e.ApprovalsRequired {
		case 0:
			row("approvals", "none: a plan may be applied as soon as it finishes")
		default:
			row("approvals", fmt.Sprintf("%d, from distinct approvers, of the current plan", e.ApprovalsRequired))
		}
		mods := "all modules"
		if len(e.Modules) > 0 {
			mods = strings.Join(e.Modules, ", ")
		}
		row("modules", mods)
		if ch := firstNonEmpty(e.NotifyChannel, pol.NotifyChannel); ch != "" {
			row("notify", ch)
		}
	}
}

// people renders policy IDs for a person to read: "*" is anyone, S… IDs are
// user groups.
func people(ids []string) string {
	if len(ids) == 0 {
		return "nobody"
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		switch {
		case id == "*":
			out = append(out, "anyone")
		case flow.IsUserGroup(id):
			out = append(out, "group "+id)
		default:
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
