package registry

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// maxValueLen bounds one value; the largest thing a module takes from chat is
// an inline IAM policy (10 KiB in AWS).
const maxValueLen = 64 << 10

// conversionError is a value that does not fit its variable's type; the
// reason names the expected form.
type conversionError struct{ reason string }

func (e *conversionError) Error() string { return e.reason }

func badValue(format string, args ...any) error {
	return &conversionError{reason: fmt.Sprintf(format, args...)}
}

// parseValue converts the text a person typed into a value of the input's
// type and returns it with its canonical text, which parses back to the same
// value (Resolve is idempotent). Strings are kept verbatim; every other type
// ignores surrounding spaces.
func parseValue(in *Input, s string) (cty.Value, string, error) {
	if !utf8.ValidString(s) {
		return cty.NilVal, "", badValue("is not valid UTF-8 text")
	}
	if len(s) > maxValueLen {
		return cty.NilVal, "", badValue("is too long (%d bytes; at most %d)", len(s), maxValueLen)
	}
	ty := in.Type
	switch {
	case ty == cty.String || ty == cty.DynamicPseudoType:
		return cty.StringVal(s), s, nil
	case ty.IsPrimitiveType():
		v, err := parsePrimitive(ty, strings.TrimSpace(s))
		if err != nil {
			return cty.NilVal, "", err
		}
		return v, primitiveText(v), nil
	case (ty.IsListType() || ty.IsSetType()) && ty.ElementType().IsPrimitiveType():
		return parseList(ty, s)
	case ty.IsMapType() && ty.ElementType().IsPrimitiveType():
		return parseMap(ty, s)
	default:
		return parseJSON(in, s)
	}
}

func parsePrimitive(ty cty.Type, s string) (cty.Value, error) {
	switch ty {
	case cty.String:
		return cty.StringVal(s), nil
	case cty.Bool:
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return cty.True, nil
		case "false", "no", "off":
			return cty.False, nil
		}
		return cty.NilVal, badValue("expected true or false (yes/no and on/off also work), got %q", clip(s))
	case cty.Number:
		v, err := cty.ParseNumberVal(s)
		if err != nil || s == "" {
			return cty.NilVal, badValue("expected a number, like 30, got %q", clip(s))
		}
		bf := v.AsBigFloat()
		if bf.IsInf() || bf.MantExp(nil) > 256 || bf.MantExp(nil) < -256 {
			return cty.NilVal, badValue("number %q is out of range", clip(s))
		}
		return v, nil
	}
	return cty.NilVal, badValue("unsupported type %s", ty.FriendlyName())
}

func primitiveText(v cty.Value) string {
	switch v.Type() {
	case cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case cty.Number:
		bf := v.AsBigFloat()
		if bf.Sign() == 0 {
			return "0"
		}
		return numberText(bf)
	}
	return v.AsString()
}

// numberText is bf.Text('f', -1), the way hclwrite writes a number, without
// the cost of shortest-decimal rounding for the common case: a whole number
// below 2^53 held with at least 53 bits, which has only one shortest form,
// its digits. (Zero keeps Text's form, which distinguishes -0.)
func numberText(bf *big.Float) string {
	if bf.Sign() != 0 && bf.Prec() >= 53 && bf.IsInt() {
		if i, acc := bf.Int64(); acc == big.Exact && i > -1<<53 && i < 1<<53 {
			return strconv.FormatInt(i, 10)
		}
	}
	return bf.Text('f', -1)
}

// parseList reads "a, b, c", [a, b, c] or ["a", "b", "c"] (see
// collection.go); an empty text is an empty list.
func parseList(ty cty.Type, s string) (cty.Value, string, error) {
	ety := ty.ElementType()
	items, err := splitItems(s, '[', ']')
	if err != nil {
		return cty.NilVal, "", badValue("%v; expected a comma-separated list, like %s", err, listExample(ety))
	}
	var elems []cty.Value
	for i, item := range items {
		if item == "" {
			return cty.NilVal, "", badValue("item %d is empty; expected a comma-separated list, like %s", i+1, listExample(ety))
		}
		text, err := unquote(item)
		if err != nil {
			return cty.NilVal, "", badValue("item %d: %v", i+1, err)
		}
		if ety != cty.String {
			text = strings.TrimSpace(text)
		}
		v, err := parsePrimitive(ety, text)
		if err != nil {
			return cty.NilVal, "", badValue("item %d: %v", i+1, err)
		}
		elems = append(elems, v)
	}
	var v cty.Value
	switch {
	case len(elems) == 0 && ty.IsSetType():
		v = cty.SetValEmpty(ety)
	case len(elems) == 0:
		v = cty.ListValEmpty(ety)
	case ty.IsSetType():
		v = cty.SetVal(elems)
	default:
		v = cty.ListVal(elems)
	}
	texts := make([]string, 0, len(elems))
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		texts = append(texts, itemText(primitiveText(e), "", false))
	}
	return v, strings.Join(texts, ", "), nil
}

func listExample(ety cty.Type) string {
	if ety == cty.Number {
		return "1, 2, 3"
	}
	return "a, b, c"
}

// mapExample is how a map is written, for errors.
const mapExample = "expected key=value pairs separated by commas, like team=payments, tier=gold"

// parseMap reads "k=v, k2=v2", {k=v, k2="v 2"}, {"k": "v"} and the like (see
// collection.go); an empty text is an empty map.
func parseMap(ty cty.Type, s string) (cty.Value, string, error) {
	ety := ty.ElementType()
	items, err := splitItems(s, '{', '}')
	if err != nil {
		return cty.NilVal, "", badValue("%v; %s", err, mapExample)
	}
	elems := map[string]cty.Value{}
	for i, item := range items {
		k, val, ok := cutItem(item)
		if ok {
			if k, err = unquote(k); err == nil {
				val, err = unquote(val)
			}
			if err != nil {
				return cty.NilVal, "", badValue("item %d: %v", i+1, err)
			}
		}
		if !ok || k == "" {
			return cty.NilVal, "", badValue("item %d (%q) is not key=value; %s", i+1, clip(item), mapExample)
		}
		if _, dup := elems[k]; dup {
			return cty.NilVal, "", badValue("key %q is given twice", clip(k))
		}
		if ety != cty.String {
			val = strings.TrimSpace(val)
		}
		v, err := parsePrimitive(ety, val)
		if err != nil {
			return cty.NilVal, "", badValue("key %q: %v", clip(k), err)
		}
		elems[k] = v
	}
	if len(elems) == 0 {
		return cty.MapValEmpty(ety), "", nil
	}
	keys := make([]string, 0, len(elems))
	for k := range elems {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	texts := make([]string, len(keys))
	for i, k := range keys {
		texts[i] = itemText(k, "=", false) + "=" + itemText(primitiveText(elems[k]), "", true)
	}
	return cty.MapVal(elems), strings.Join(texts, ", "), nil
}

// parseJSON reads structured types (objects, lists of objects, ...) as JSON,
// applying the type's optional-attribute defaults as Terraform does.
func parseJSON(in *Input, s string) (cty.Value, string, error) {
	b := []byte(strings.TrimSpace(s))
	hint := fmt.Sprintf("expected JSON matching %s", strings.Join(strings.Fields(in.TypeExpr), " "))
	ity, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NilVal, "", badValue("%s: %v", hint, err)
	}
	v, err := ctyjson.Unmarshal(b, ity)
	if err != nil {
		return cty.NilVal, "", badValue("%s: %v", hint, err)
	}
	if in.defaults != nil {
		v = in.defaults.Apply(v)
	}
	v, err = convert.Convert(v, in.Type)
	if err != nil {
		return cty.NilVal, "", badValue("%s: %v", hint, err)
	}
	if v.IsNull() {
		return cty.NilVal, "", badValue("%s, not null", hint)
	}
	out, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return cty.NilVal, "", badValue("%s: %v", hint, err)
	}
	return v, string(out), nil
}
