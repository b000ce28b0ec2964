package card

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// FieldKind is the kind of form element an input gets.
type FieldKind int

// Form field kinds.
const (
	FieldText   FieldKind = iota + 1 // free text (strings, lists, maps as text)
	FieldNumber                      // a number
	FieldBool                        // a checkbox
	FieldSelect                      // one of Options
)

// FormField is one input of a module's form.
type FormField struct {
	Name  string // the variable name; also the form element's ID
	Label string
	Kind  FieldKind
	// Hint is the variable's description plus the expected format.
	Hint string
	// Initial is the value to pre-fill: the request's current value, else
	// the module's default, in the canonical text Resolve accepts ("" for none).
	Initial   string
	Default   string // the module's default as text ("" when none or null)
	Required  bool
	Sensitive bool
	Options   []string
	Multiline bool // lists, maps and objects
	Decimal   bool // numbers that may have a fraction
}

// Form is the input form of a request's module.
type Form struct {
	Title  string // short: surfaces clip it (Slack modal titles: 24)
	Module string
	Fields []FormField
}

// ForModule builds the form for m, pre-filled from r's inputs (sensitive
// values are never pre-filled).
func ForModule(m *registry.Module, r *flow.Request) Form {
	f := Form{Title: m.Name, Module: m.Name}
	for _, in := range m.UserInputs() {
		ff := FormField{
			Name:      in.Name,
			Label:     label(in.Name),
			Kind:      kindOf(in),
			Required:  in.Required,
			Sensitive: in.Sensitive,
			Options:   slices.Clone(in.Options),
			Hint:      hintOf(in),
		}
		if in.HasDefault {
			ff.Default = ValueText(in.Default)
		}
		ff.Initial = ff.Default
		if v, ok := r.Inputs[in.Name]; ok {
			ff.Initial = v
		}
		if in.Sensitive {
			ff.Initial = ""
		}
		ty := in.Type
		ff.Multiline = !ty.IsPrimitiveType() && ty != cty.DynamicPseudoType
		ff.Decimal = ty == cty.Number
		f.Fields = append(f.Fields, ff)
	}
	return f
}

func kindOf(in *registry.Input) FieldKind {
	switch {
	case len(in.Options) > 0:
		return FieldSelect
	case in.Type == cty.Bool:
		return FieldBool
	case in.Type == cty.Number:
		return FieldNumber
	}
	return FieldText
}

func hintOf(in *registry.Input) string {
	h := oneLine(in.Description)
	ty := in.Type
	switch {
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		h = strings.TrimSpace(h + ` Comma-separated, or JSON like ["a","b"].`)
	case ty.IsMapType() || ty.IsObjectType():
		h = strings.TrimSpace(h + ` key=value pairs separated by commas, or JSON like {"k":"v"}.`)
	}
	if in.Sensitive {
		h = strings.TrimSpace(h + " Sensitive: never shown again.")
	}
	return h
}

// label turns a variable name into a field label: "expiration_days" →
// "Expiration days".
func label(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ValueText is the text form of a default value as a person would type it:
// strings bare, numbers and bools as written, null as "", collections as
// JSON.
func ValueText(v cty.Value) string {
	if v.IsNull() || !v.IsKnown() {
		return ""
	}
	ty := v.Type()
	switch ty {
	case cty.String:
		return v.AsString()
	case cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case cty.Bool:
		return fmt.Sprint(v.True())
	}
	if v.LengthInt() == 0 && (ty.IsMapType() || ty.IsListType() || ty.IsSetType()) {
		return ""
	}
	b, err := ctyjson.Marshal(v, ty)
	if err != nil {
		return ""
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return string(b)
	}
	b, _ = json.Marshal(out)
	return string(b)
}
