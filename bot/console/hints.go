package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/bot/command"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// hinted is an error followed by what to do next; problem prints both.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "; " + h.hint }
func (h *hinted) Unwrap() error { return h.err }

// checkNew catches the mistakes of /tfpilot new the console can explain
// better than the engine: an unknown module (list the catalogue) and a
// missing or unknown environment (list the environments), each with the
// name it most likely meant.
func (c *Console) checkNew(ctx context.Context, cmd command.Command) error {
	eng := c.engine()
	pol := eng.Policy()
	project := projectOf(pol, cmd.Project)
	if project != "" {
		if _, ok := pol.Project(project); !ok {
			return nil // the engine explains an unknown project
		}
		if cat, err := eng.Catalog(ctx, project); err == nil && cmd.Module != "" {
			if _, ok := cat.Module(cmd.Module); !ok {
				names := make([]string, 0, len(cat.Modules))
				for _, m := range cat.Modules {
					names = append(names, m.Name)
				}
				return flow.Userf(flow.ErrBadEvent, fmt.Sprintf("there is no module %q in %s%s; the modules are %s (/tfpilot modules describes them)",
					command.Clip(cmd.Module, 60), project, didYouMean(registry.Closest(cmd.Module, names)), strings.Join(names, ", ")))
			}
		}
	}
	envs := pol.RequestableEnvironments(c.Actor())
	if len(envs) == 0 {
		return nil // the engine explains the refusal
	}
	example := fmt.Sprintf("/tfpilot new %s env=%s", cmd.Module, envs[0])
	if cmd.Environment == "" && cmd.Module != "" {
		return flow.Userf(flow.ErrBadEvent, fmt.Sprintf("which environment? add env=<environment>, one of %s, e.g. %s",
			strings.Join(envs, ", "), example))
	}
	if _, ok := pol.Environment(cmd.Environment); !ok && cmd.Environment != "" {
		all := make([]string, 0, len(pol.Environments))
		for _, e := range pol.Environments {
			all = append(all, e.Name)
		}
		meant := registry.Closest(cmd.Environment, all)
		if slices.Contains(envs, meant) {
			example = fmt.Sprintf("/tfpilot new %s env=%s", cmd.Module, meant)
		}
		return flow.Userf(flow.ErrBadEvent, fmt.Sprintf("there is no environment %q%s; use one of %s, e.g. %s",
			command.Clip(cmd.Environment, 60), didYouMean(meant), strings.Join(envs, ", "), example))
	}
	return nil
}

// didYouMean is " (did you mean <name>?)", or "" when there is no name to
// suggest.
func didYouMean(name string) string {
	if name == "" {
		return ""
	}
	return " (did you mean " + name + "?)"
}

// withNextStep adds to an engine refusal of a command on request id what
// can be done with the request in its state now.
func (c *Console) withNextStep(ctx context.Context, err error, id string) error {
	var ue *flow.UserError
	if !errors.As(err, &ue) {
		return err
	}
	r, ferr := c.engine().Find(ctx, id)
	if ferr != nil {
		return err
	}
	pol := c.engine().Policy()
	if h := nextStep(r, &pol, c.Actor()); h != "" {
		return &hinted{err: err, hint: h}
	}
	return err
}

// nextStep says in one sentence where r is and what moves it on.
func nextStep(r *flow.Request, pol *flow.Policy, actor flow.Actor) string {
	l := card.ShortID(r)
	state := strings.ToLower(card.StateText(r, pol)[:1]) + card.StateText(r, pol)[1:]
	switch r.State {
	case flow.CollectingInputs:
		return fmt.Sprintf("%s is waiting for inputs: reply key=value (/tfpilot status %s shows the request)", l, l)
	case flow.Confirming:
		return fmt.Sprintf("%s waits for review: /tfpilot status %s shows it with its Submit button", l, l)
	case flow.OpeningPR, flow.Planning, flow.Applying:
		return fmt.Sprintf("%s is %s; wait for it to finish (/tfpilot status %s)", l, strings.ToLower(state), l)
	case flow.AwaitingApproval:
		who := "an approver"
		if e, ok := pol.Environment(r.Environment); ok && !e.AllowSelfApproval {
			who = "an approver other than " + actorName(r.Requester)
		}
		return fmt.Sprintf("%s is %s: %s runs /tfpilot approve %s (here /as <user> acts as someone else)", l, state, who, l)
	case flow.Approved:
		if flow.NoApprovalNeeded(r) {
			return fmt.Sprintf("%s is %s: /tfpilot apply %s applies it", l, state, l)
		}
		return fmt.Sprintf("%s is approved: /tfpilot apply %s applies it", l, l)
	case flow.PlanFailed, flow.ApplyFailed, flow.Stale:
		return fmt.Sprintf("%s: /tfpilot replan %s plans again (/tfpilot status %s shows why)", l, l, l)
	case flow.Applied:
		if by := card.DestroyedBy(r); by != "" {
			return fmt.Sprintf("%s was destroyed by request %s (/tfpilot status %s)", l, by, by)
		}
		if r.Kind == flow.KindCreate {
			return fmt.Sprintf("%s is applied: /tfpilot destroy %s removes what it created", l, l)
		}
		return l + " is applied"
	}
	return ""
}

func actorName(a flow.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// setReply tells what a key=value line did to a request whose state it did
// not change (before and after it): of the inputs it gave, by the module's
// names (Visibility Timeout is visibility_timeout_seconds), those set and
// those that already had the value given; then what is still needed.
func setReply(before, after *flow.Request, given, missing []string) string {
	var set, same []string
	for _, name := range given {
		if old, ok := before.Inputs[name]; ok && old == after.Inputs[name] {
			same = append(same, name)
		} else {
			set = append(set, name)
		}
	}
	l := card.ShortID(after)
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] ", l)
	switch {
	case len(set) > 0 && len(same) > 0:
		fmt.Fprintf(&b, "set %s; %s already %s.", strings.Join(set, ", "), strings.Join(same, ", "), haveValue(same))
	case len(set) > 0:
		fmt.Fprintf(&b, "set %s.", strings.Join(set, ", "))
	default:
		fmt.Fprintf(&b, "%s already %s; nothing changed.", strings.Join(same, ", "), haveValue(same))
	}
	if len(missing) > 0 {
		b.WriteString(" Still needed: " + strings.Join(missing, ", ") + ".")
	}
	if after.State == flow.Confirming && len(set) > 0 {
		fmt.Fprintf(&b, " /tfpilot status %s shows the updated request.", l)
	}
	return b.String()
}

func haveValue(names []string) string {
	if len(names) == 1 {
		return "has that value"
	}
	return "have those values"
}
