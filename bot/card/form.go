package card

import (
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
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
	Default   string // the module's default as text ("" when none, null or sensitive)
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
// values are never pre-filled, nor their defaults shown).
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
		ff.Default = in.DefaultText()
		ff.Initial = ff.Default
		if v, ok := r.Inputs[in.Name]; ok {
			ff.Initial = v
		}
		if in.Sensitive {
			ff.Initial, ff.Default = "", ""
		}
		kind := in.Kind()
		ff.Multiline = kind == registry.KindList || kind == registry.KindMap
		ff.Decimal = kind == registry.KindNumber
		f.Fields = append(f.Fields, ff)
	}
	return f
}

func kindOf(in *registry.Input) FieldKind {
	switch {
	case len(in.Options) > 0:
		return FieldSelect
	case in.Kind() == registry.KindBool:
		return FieldBool
	case in.Kind() == registry.KindNumber:
		return FieldNumber
	}
	return FieldText
}

func hintOf(in *registry.Input) string {
	h := oneLine(in.Description)
	switch in.Kind() {
	case registry.KindList:
		h = strings.TrimSpace(h + ` Comma-separated, or JSON like ["a","b"].`)
	case registry.KindMap:
		h = strings.TrimSpace(h + ` key=value pairs separated by commas, or JSON like {"k":"v"}.`)
	}
	if in.Sensitive {
		h = strings.TrimSpace(h + " Sensitive: " + registry.SecretRefReason + "; never shown again.")
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
