package registry

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// SystemInputs are the variables every module takes and TfPilot fills in
// itself; they are never asked of, nor accepted from, a person.
var SystemInputs = []string{"environment", "project", "request_id"}

func isSystem(name string) bool { return slices.Contains(SystemInputs, name) }

// Catalog is the set of modules that loaded cleanly, sorted by name, plus the
// diagnostics of the ones that did not.
type Catalog struct {
	Modules     []*Module
	Diagnostics Diagnostics
}

// Module returns the module called name.
func (c *Catalog) Module(name string) (*Module, bool) {
	i, ok := slices.BinarySearchFunc(c.Modules, name, func(m *Module, n string) int {
		switch {
		case m.Name < n:
			return -1
		case m.Name > n:
			return 1
		}
		return 0
	})
	if !ok {
		return nil, false
	}
	return c.Modules[i], true
}

// Module is one Terraform module folder as the catalogue sees it.
type Module struct {
	// Name is the folder name, which is also the last element of the source path.
	Name string
	// Description is the first paragraph of the module's README.md.
	Description string
	// Inputs are the variables in declaration order (files by name, then
	// position in the file).
	Inputs []*Input
	// Outputs are the outputs in declaration order.
	Outputs []*Output
	// ResourceTypes are the distinct managed resource types, sorted.
	ResourceTypes []string
	// Resources are the managed resource blocks in declaration order.
	Resources []Resource

	readme   string
	locals   map[string]hcl.Expression
	byKey    map[string]*Input // normalised name -> input (user inputs only)
	squash   map[string]*Input // normalised name without underscores -> input, unique ones only
	nameRefs nameRefs          // what DerivedNames needs to evaluate (see refsOf)
}

// Input is one variable of a module.
type Input struct {
	Name        string
	Description string
	// TypeExpr is the type constraint as written in the module ("any" when absent).
	TypeExpr string
	Type     cty.Type
	// Default is the default value converted to Type (a null value when the
	// default is null); meaningful only when HasDefault is set.
	Default    cty.Value
	HasDefault bool
	// Required is set when the variable has no default at all.
	Required  bool
	Sensitive bool
	Nullable  bool
	// System marks project, environment and request_id (see SystemInputs).
	System bool
	// Options is the fixed set of allowed values when a validation is exactly
	// contains([...literal strings...], var.<name>); nil otherwise.
	Options     []string
	Validations []Validation
	// File and Line locate the variable block.
	File string
	Line int

	defaults *typeexpr.Defaults
}

// Validation is one validation block of a variable.
type Validation struct {
	Condition hcl.Expression
	// ErrorMessage is the literal message, or the expression's source text
	// when the message refers to the variable (it is then evaluated per value).
	ErrorMessage string
	File         string
	Line         int

	messageExpr hcl.Expression // non-nil when ErrorMessage is not a literal
}

// Output is one output of a module.
type Output struct {
	Name        string
	Description string
	Sensitive   bool
	File        string
	Line        int
}

// Resource is one managed resource block of a module.
type Resource struct {
	Type, Name string
	// Tagged is set when the block assigns the tags argument.
	Tagged bool
	File   string
	Line   int

	nameExpr  hcl.Expression // the argument that names it, for types with a naming rule
	countExpr hcl.Expression
	tagsExpr  hcl.Expression
}

// UserInputs returns the inputs a person may set: all but the system inputs.
func (m *Module) UserInputs() []*Input {
	out := make([]*Input, 0, len(m.Inputs))
	for _, in := range m.Inputs {
		if !in.System {
			out = append(out, in)
		}
	}
	return out
}

// Input returns the variable called name.
func (m *Module) Input(name string) (*Input, bool) {
	for _, in := range m.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return nil, false
}

// Missing returns, in declaration order, the required user inputs that values
// (keyed by variable name, as returned by Resolve) does not set yet.
func (m *Module) Missing(values map[string]string) []string {
	var out []string
	for _, in := range m.Inputs {
		if in.System || !in.Required {
			continue
		}
		if _, ok := values[in.Name]; !ok {
			out = append(out, in.Name)
		}
	}
	return out
}
