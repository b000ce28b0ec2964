package policy

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// oneDocument refuses a second YAML document after the first: TfPilot reads
// only the first, so whatever follows a "---" would be ignored without a
// word. An empty trailing document ("---" at the end) is harmless and passes.
func oneDocument(dec *yaml.Decoder) error {
	var next yaml.Node
	err := dec.Decode(&next)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("a second YAML document follows the first, and it is not valid YAML (%w): a policy file holds one document; remove the \"---\" and merge what follows into the first", err)
	case emptyDocument(&next):
		return nil
	}
	return fmt.Errorf("line %d: a second YAML document starts here; a policy file holds one document and TfPilot would ignore this one: remove the \"---\" and merge what follows into the first", next.Line)
}

func emptyDocument(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.Tag == "!!null"
}

// locator finds the line of a key in the decoded document, for messages.
type locator struct{ root *yaml.Node }

// key names field of the i-th entry of section as name.field, with the
// line it is on (or of the entry, when the field is not written).
func (l locator) key(section string, i int, name, field string) string {
	if line := l.line(section, i, field); line > 0 {
		return fmt.Sprintf("%s.%s (line %d)", name, field, line)
	}
	return name + "." + field
}

func (l locator) line(section string, i int, field string) int {
	if l.root == nil || len(l.root.Content) == 0 {
		return 0
	}
	seq := value(l.root.Content[0], section)
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return 0
	}
	item := seq.Content[i]
	if k := keyNode(item, field); k != nil {
		return k.Line
	}
	return item.Line
}

// keyNode returns the key node called key of mapping m.
func keyNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j]
		}
	}
	return nil
}

// value returns the value node of key in mapping m.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j+1]
		}
	}
	return nil
}

// isPerson reports whether a policy ID names one person: not "*" and not a
// user group.
func isPerson(id string) bool { return id != "*" && !flow.IsUserGroup(id) }

// unworkable says why e's approvals can never be given, or "". Only
// approvers who are all named people can be counted: a user group's size is
// Slack's to say, and "*" is anyone. With self-approval off, a person named
// both as a requester and as an approver cannot approve their own request,
// so their requests have one approver fewer.
func unworkable(e flow.Environment) string {
	if e.ApprovalsRequired <= 0 || len(e.Approvers) == 0 || slices.ContainsFunc(e.Approvers, func(id string) bool { return !isPerson(id) }) {
		return ""
	}
	people := slices.Compact(slices.Sorted(slices.Values(e.Approvers)))
	if len(people) < e.ApprovalsRequired {
		return fmt.Sprintf("%d approvals are required but only %d %s can approve (%s); name more approvers (people or a user group) or lower approvals_required",
			e.ApprovalsRequired, len(people), plural(len(people), "person", "people"), strings.Join(people, ", "))
	}
	if e.AllowSelfApproval {
		return ""
	}
	for _, p := range people {
		if slices.Contains(e.Requesters, p) && len(people)-1 < e.ApprovalsRequired {
			return fmt.Sprintf("%d approvals are required but a request by %s can get only %d: %s is a requester and an approver, and allow_self_approval is off; name more approvers or lower approvals_required",
				e.ApprovalsRequired, p, len(people)-1, p)
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Warnings lists what a policy allows that an operator should know at
// start-up: an environment that needs no approval and is not declared
// low_risk. bot serve and bot local log them; bot check --policy prints
// them.
func Warnings(p flow.Policy) []string {
	var out []string
	for _, e := range p.Environments {
		if e.ApprovalsRequired == 0 && !e.LowRisk {
			out = append(out, fmt.Sprintf("environment %s: approvals_required is 0, so its plans are applied without anyone's approval; "+
				"if that is intended, declare it with low_risk: true, otherwise require an approval", e.Name))
		}
	}
	return out
}

// CheckCatalog refuses the environment names project's modules cannot take
// as their environment input (the modules' own validation decides; only the
// modules an environment allows are asked). Such a name would pass
// start-up and fail every request at open_change with a Retry that can
// never succeed. The error has one line per environment, "file:line: key:
// problem; what to do".
func (f *File) CheckCatalog(project string, cat *registry.Catalog) error {
	var problems []string
	for i, e := range f.Policy.Environments {
		refusals := cat.EnvironmentProblems(e.Name, e.Modules)
		if len(refusals) == 0 {
			continue
		}
		where := f.Path
		if line := f.at.line("environments", i, "name"); line > 0 {
			where = fmt.Sprintf("%s:%d", f.Path, line)
		}
		problems = append(problems, fmt.Sprintf("%s: environments[%s].name: the modules of project %s cannot take %q as their environment (%s); rename the environment, and its folder envs/%s, to a name they take",
			where, e.Name, project, e.Name, strings.Join(refusals, "; "), e.Name))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}
