package registry

import (
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Resolve checks the inputs a person gave: keys are normalised onto variable
// names (an unknown key suggests the closest one, a system input is refused),
// values are converted to the variable's type and the module's validation
// blocks are evaluated on them. It returns the canonical text of each value
// keyed by variable name; feeding that back to Resolve returns it unchanged.
// Only the given keys are checked, so chat may send inputs a few at a time.
// A sensitive input takes only secret references (see SecretRefReason), and
// no reason repeats its value. The error, if any, is InputErrors with one
// entry per problem.
func (m *Module) Resolve(raw map[string]string) (map[string]string, error) {
	_, canon, errs := m.resolve(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return canon, nil
}

func (m *Module) resolve(raw map[string]string) (map[string]cty.Value, map[string]string, InputErrors) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := make(map[string]cty.Value, len(raw))
	canon := make(map[string]string, len(raw))
	givenAs := make(map[string]string, len(raw))
	var errs InputErrors
	for _, k := range keys {
		if sys := normalizeKey(k); isSystem(sys) {
			errs = append(errs, InputError{Field: clip(k), Reason: "is set by TfPilot and cannot be given"})
			continue
		}
		in, ok := m.lookup(k)
		if !ok {
			errs = append(errs, InputError{Field: clip(k), Reason: m.unknownKeyReason(k)})
			continue
		}
		if prev, dup := givenAs[in.Name]; dup {
			errs = append(errs, InputError{Field: in.Name, Reason: "is given twice (as " + quoteKey(prev) + " and " + quoteKey(k) + ")"})
			continue
		}
		givenAs[in.Name] = k
		if msgs := in.checkOverlong(raw[k]); len(msgs) > 0 {
			for _, msg := range msgs {
				errs = append(errs, InputError{Field: in.Name, Reason: msg})
			}
			continue
		}
		v, text, err := parseValue(in, raw[k])
		if err != nil {
			var ce *conversionError
			switch {
			case in.Sensitive:
				// Conversion errors may quote the value.
				errs = append(errs, InputError{Field: in.Name, Reason: "cannot be read as " + in.TypeExpr + " (the value is not repeated: the input is sensitive)"})
			case errors.As(err, &ce):
				errs = append(errs, InputError{Field: in.Name, Reason: ce.reason})
			default:
				errs = append(errs, InputError{Field: in.Name, Reason: err.Error()})
			}
			continue
		}
		if in.Sensitive && !refOnly(v) {
			errs = append(errs, InputError{Field: in.Name, Reason: SecretRefReason})
			continue
		}
		if msgs := in.check(v); len(msgs) > 0 {
			for _, msg := range msgs {
				errs = append(errs, InputError{Field: in.Name, Reason: msg})
			}
			continue
		}
		vals[in.Name], canon[in.Name] = v, text
	}
	return vals, canon, errs
}

func quoteKey(k string) string { return `"` + clip(k) + `"` }

// checkOverlong returns, for a string over maxValueLen, what the module's
// validations say of it: a value that long is refused anyway, but "name
// must be 2 to 40 characters" states the field's real limit where our own
// "at most 65536 bytes" would not. Nil when the value is not that long, not
// a string, or passes them.
func (in *Input) checkOverlong(s string) []string {
	if len(s) <= maxValueLen || in.Type != cty.String || !utf8.ValidString(s) {
		return nil
	}
	return in.check(cty.StringVal(s))
}

// check evaluates the input's validation blocks on v and returns the error
// message of every one that does not hold. A condition that errors or is
// unknown does not hold: a value is only accepted when the module says yes.
// A sensitive input's messages are evaluated on Redacted, never on its value.
func (in *Input) check(v cty.Value) []string {
	if len(in.Validations) == 0 {
		return nil
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{in.Name: v})},
		Functions: functions,
	}
	var msgs []string
	for _, val := range in.Validations {
		switch {
		case holds(val.Condition, ctx):
		case in.Sensitive:
			// A message that refers to the value gets Redacted instead.
			msgs = append(msgs, val.message(redactedContext(in)))
		default:
			msgs = append(msgs, val.message(ctx))
		}
	}
	return msgs
}

func holds(cond hcl.Expression, ctx *hcl.EvalContext) bool {
	res, ds := cond.Value(ctx)
	if ds.HasErrors() || !res.IsWhollyKnown() || res.IsNull() {
		return false
	}
	b, err := convert.Convert(res, cty.Bool)
	if err != nil || b.IsNull() {
		return false
	}
	return b.True()
}

// message is the validation's error_message, evaluated when it refers to the
// value.
func (val Validation) message(ctx *hcl.EvalContext) string {
	if val.messageExpr == nil {
		return val.ErrorMessage
	}
	v, ds := val.messageExpr.Value(ctx)
	if ds.HasErrors() || !v.IsKnown() || v.IsNull() {
		return val.ErrorMessage
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return val.ErrorMessage
	}
	return strings.TrimSpace(s.AsString())
}
