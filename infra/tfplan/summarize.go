package tfplan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/printable"
)

// ErrNotPlan reports input that is not Terraform plan JSON.
var ErrNotPlan = errors.New("not a Terraform plan: expected the output of `terraform show -json PLANFILE`")

// Action names used in flow.ResourceChange.Action.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionReplace = "replace"
	ActionDelete  = "delete"
	ActionRead    = "read"
	ActionForget  = "forget"
	// ActionImport is a change that only imports an existing object into
	// the state: Terraform plans it as a no-op carrying "importing".
	ActionImport = "import"
	ActionNoOp   = "no-op"
	// ActionUnknown is an action list holding an action this package does
	// not know (a newer Terraform's, or a forged plan's). Such a change is
	// counted in PlanSummary.Unknown and listed with the actions as the
	// plan names them, never taken for a no-op.
	ActionUnknown = "unknown"
)

// planExtras holds the top-level fields terraform-json does not decode.
type planExtras struct {
	FormatVersion *string `json:"format_version"`
	Errored       bool    `json:"errored"`
}

// Summarize decodes plan JSON and summarises it. A replace counts once, as a
// replace; no-op and read changes are counted but not listed as changes to
// review unless they are reads.
func Summarize(data []byte) (flow.PlanSummary, error) {
	var extras planExtras
	if err := json.Unmarshal(data, &extras); err != nil {
		return flow.PlanSummary{}, fmt.Errorf("%w (%v)", ErrNotPlan, err)
	}
	if extras.FormatVersion == nil {
		return flow.PlanSummary{}, fmt.Errorf("%w (no format_version)", ErrNotPlan)
	}
	var plan tfjson.Plan
	plan.UseJSONNumber(true)
	if err := plan.UnmarshalJSON(data); err != nil {
		// An errored plan may carry an empty prior_state, which terraform-json
		// rejects; the summary does not need it, so retry without it.
		trimmed, terr := withoutEmptyPriorState(data)
		if terr != nil || plan.UnmarshalJSON(trimmed) != nil {
			return flow.PlanSummary{}, fmt.Errorf("decode plan: %w", err)
		}
	}

	var s flow.PlanSummary
	digests := moduleDigests{}
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		action := Classify(rc.Change.Actions)
		if action == ActionNoOp && rc.Change.Importing != nil {
			action = ActionImport // the object joins the state: a change to review
		}
		if action != ActionNoOp {
			if err := digests.add(rc); err != nil {
				return flow.PlanSummary{}, err
			}
		}
		switch action {
		case ActionCreate:
			s.Create++
		case ActionUpdate:
			s.Update++
		case ActionReplace:
			s.Replace++
		case ActionDelete:
			s.Delete++
		case ActionRead:
			s.Read++
		case ActionForget:
			s.Forget++
		case ActionImport:
			s.Import++
		case ActionUnknown:
			s.Unknown++
		case ActionNoOp:
			s.NoOp++
			continue
		}
		s.Resources = append(s.Resources, flow.ResourceChange{Address: address(rc), Action: shown(action, rc.Change.Actions)})
	}
	for _, rc := range plan.ResourceDrift {
		if rc == nil || rc.Change == nil {
			continue
		}
		action := Classify(rc.Change.Actions)
		if action == ActionNoOp {
			continue
		}
		s.Drift = append(s.Drift, flow.ResourceChange{Address: address(rc), Action: shown(action, rc.Change.Actions)})
	}
	s.Errored = extras.Errored
	s.ModuleDigests = digests.sums()
	return s, nil
}

// moduleDigests hashes, per top-level module block, every change planned
// in it (flow.PlanSummary.ModuleDigests).
type moduleDigests map[string]hash.Hash

// add hashes rc as the plan states it, values included, into the digest of
// its top-level module block; a change outside every module has none.
// Plan JSON lists changes sorted by address, and encoding/json writes map
// keys sorted and numbers as the plan wrote them (UseJSONNumber), so the
// same changes give the same digest. Sensitive values are left out (see
// masked): a digest kept with the request must not let anyone who reads
// it test guesses of a secret, and people never saw those values anyway.
func (d moduleDigests) add(rc *tfjson.ResourceChange) error {
	top := topModule(rc.ModuleAddress)
	if top == "" {
		return nil
	}
	c, ch := *rc, *rc.Change
	ch.Before = masked(ch.Before, ch.BeforeSensitive)
	ch.After = masked(ch.After, ch.AfterSensitive)
	ch.GeneratedConfig = "" // HCL written from the imported object's values, sensitive ones included
	c.Change = &ch
	b, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("digest the change of %s: %w", printable.Line(rc.Address), err)
	}
	h := d[top]
	if h == nil {
		h = sha256.New()
		d[top] = h
	}
	fmt.Fprintf(h, "%d:", len(b))
	h.Write(b)
	return nil
}

func (d moduleDigests) sums() map[string]string {
	if len(d) == 0 {
		return nil
	}
	out := make(map[string]string, len(d))
	for m, h := range d {
		out[m] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// sensitiveMark stands in a digested value for a sensitive one.
const sensitiveMark = "(sensitive)"

// masked is v with every part that mask (a plan's before_sensitive or
// after_sensitive: true, or an object or list of masks shaped like v)
// marks sensitive replaced by sensitiveMark.
func masked(v, mask any) any {
	switch m := mask.(type) {
	case bool:
		if m && v != nil {
			return sensitiveMark
		}
	case map[string]any:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(obj))
		for k, x := range obj {
			out[k] = masked(x, m[k])
		}
		return out
	case []any:
		list, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(list))
		for i, x := range list {
			if i < len(m) {
				x = masked(x, m[i])
			}
			out[i] = x
		}
		return out
	}
	return v
}

// topModule is the top-level module block of a module address:
// module.a[0].module.b → module.a; "" for the root module.
func topModule(addr string) string {
	rest, ok := strings.CutPrefix(addr, "module.")
	if !ok {
		return ""
	}
	end := strings.IndexAny(rest, ".[")
	if end < 0 {
		end = len(rest)
	}
	return "module." + rest[:end]
}

// Classify names the action of a change. Every action list containing both a
// delete (or forget) and a create is a replace; one holding an action not
// known here is ActionUnknown, whatever else it holds.
func Classify(a tfjson.Actions) string {
	for _, x := range a {
		if !known(x) {
			return ActionUnknown
		}
	}
	has := func(want tfjson.Action) bool {
		for _, x := range a {
			if x == want {
				return true
			}
		}
		return false
	}
	switch {
	case has(tfjson.ActionCreate) && (has(tfjson.ActionDelete) || has(tfjson.ActionForget)):
		return ActionReplace
	case has(tfjson.ActionCreate):
		return ActionCreate
	case has(tfjson.ActionDelete):
		return ActionDelete
	case has(tfjson.ActionForget):
		return ActionForget
	case has(tfjson.ActionUpdate):
		return ActionUpdate
	case has(tfjson.ActionRead):
		return ActionRead
	}
	return ActionNoOp
}

func known(a tfjson.Action) bool {
	switch a {
	case tfjson.ActionCreate, tfjson.ActionUpdate, tfjson.ActionDelete,
		tfjson.ActionRead, tfjson.ActionForget, tfjson.ActionNoop:
		return true
	}
	return false
}

// shown is the action a summary lists: the classified one, or for an
// unknown one the actions as the plan names them ("unknown: frobnicate"),
// made printable.
func shown(action string, a tfjson.Actions) string {
	if action != ActionUnknown {
		return action
	}
	names := make([]string, 0, len(a))
	for _, x := range a {
		names = append(names, string(x))
	}
	return ActionUnknown + ": " + printable.Line(strings.Join(names, ","))
}

// address is the change's address as people are shown it: the plan's text
// with every control character escaped, so an address cannot rewrite the
// terminal or a card (an escape sequence, a line break, a bidi override).
func address(rc *tfjson.ResourceChange) string {
	if rc.DeposedKey != "" {
		return printable.Line(rc.Address + " (deposed " + rc.DeposedKey + ")")
	}
	return printable.Line(rc.Address)
}

func withoutEmptyPriorState(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if ps, ok := m["prior_state"]; ok && bytes.Equal(bytes.TrimSpace(ps), []byte("{}")) {
		delete(m, "prior_state")
	}
	return json.Marshal(m)
}

// Text renders a summary for people: the counts line, up to maxAddresses
// changing addresses ("…and K more"), drift, and the errored/preview marks.
func Text(s flow.PlanSummary, maxAddresses int) string {
	var b strings.Builder
	if s.Preview {
		b.WriteString("Static preview (not a Terraform plan)\n")
	}
	if s.Errored {
		b.WriteString("The plan ERRORED: it cannot be applied. See the plan output.\n")
	}
	fmt.Fprintf(&b, "%s\n", Counts(s))
	for i, r := range s.Resources {
		if maxAddresses >= 0 && i >= maxAddresses {
			fmt.Fprintf(&b, "…and %d more\n", len(s.Resources)-i)
			break
		}
		b.WriteString(changeLine(r))
	}
	if len(s.Drift) > 0 {
		fmt.Fprintf(&b, "Drift: %d resource(s) changed outside Terraform\n", len(s.Drift))
		for i, r := range s.Drift {
			if maxAddresses >= 0 && i >= maxAddresses {
				fmt.Fprintf(&b, "…and %d more\n", len(s.Drift)-i)
				break
			}
			b.WriteString(changeLine(r))
		}
	}
	return b.String()
}

// Counts is the one-line count summary as Terraform prints it, e.g.
// "Plan: 2 to create, 1 to replace." or "No changes.".
func Counts(s flow.PlanSummary) string {
	if c := s.Counts(); c != "no changes" {
		return "Plan: " + c + "."
	}
	return "No changes."
}

// changeLine is one listed change: its symbol and address, and the actions
// of an unknown one. The address is made printable again here, since a
// summary may come from elsewhere than Summarize.
func changeLine(r flow.ResourceChange) string {
	line := "  " + symbol(r.Action) + " " + printable.Line(r.Address)
	if strings.HasPrefix(r.Action, ActionUnknown) {
		line += " (" + printable.Line(r.Action) + ")"
	}
	return line + "\n"
}

func symbol(action string) string {
	switch action {
	case ActionCreate:
		return "+"
	case ActionUpdate:
		return "~"
	case ActionReplace:
		return "-/+"
	case ActionDelete:
		return "-"
	case ActionRead:
		return "<="
	case ActionForget:
		return "."
	case ActionImport:
		return "<-"
	}
	return "?"
}
