package console

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
)

// hinted is an error followed by what to do next; problem prints both.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "; " + h.hint }
func (h *hinted) Unwrap() error { return h.err }

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
		if flow.Allows(r, *pol, flow.EvApprove, r.Requester) != nil {
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
	case flow.AppliedNotMerged:
		return fmt.Sprintf("%s is applied but its pull request is not merged: fix what GitHub reports, then press Retry merge on its card (/tfpilot status %s)", l, l)
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
