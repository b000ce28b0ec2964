package registry

import (
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// EnvironmentProblems says which of the named modules (every module when
// modules is empty) cannot take env as their environment input: one line per
// distinct refusal, "module, module: <the validation's error_message>". The
// modules' own validation blocks decide, so a policy can be checked against
// the catalogue at start-up instead of failing when a request renders. A
// module not in the catalogue, or without an environment variable, says
// nothing.
func (c *Catalog) EnvironmentProblems(env string, modules []string) []string {
	var order []string
	refusedBy := map[string][]string{}
	for _, m := range c.Modules {
		if len(modules) > 0 && !slices.Contains(modules, m.Name) {
			continue
		}
		in, ok := m.Input("environment")
		if !ok {
			continue
		}
		for _, msg := range in.check(cty.StringVal(env)) {
			if _, seen := refusedBy[msg]; !seen {
				order = append(order, msg)
			}
			refusedBy[msg] = append(refusedBy[msg], m.Name)
		}
	}
	out := make([]string, 0, len(order))
	for _, msg := range order {
		out = append(out, strings.Join(refusedBy[msg], ", ")+": "+msg)
	}
	return out
}
