package registry

import (
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// InputKind is what shape of value an input takes, in the terms a form or a
// chat reply needs: surfaces get it from here and never look at cty types.
type InputKind int

// Input kinds.
const (
	KindText   InputKind = iota + 1 // a string, or a type the module leaves open (any)
	KindNumber                      // a number
	KindBool                        // true or false
	KindList                        // a list, set or tuple
	KindMap                         // a map or an object
)

func (k InputKind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	case KindMap:
		return "map"
	}
	return "unknown"
}

// Kind reports the shape of value the input takes.
func (in *Input) Kind() InputKind {
	ty := in.Type
	switch {
	case ty == cty.Number:
		return KindNumber
	case ty == cty.Bool:
		return KindBool
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		return KindList
	case ty.IsMapType() || ty.IsObjectType():
		return KindMap
	}
	return KindText
}

// DefaultText is the module's default for the input as a person would type
// it ("" when it has none or it is null): strings bare, numbers and bools as
// written, collections as JSON (empty ones as "").
func (in *Input) DefaultText() string {
	if !in.HasDefault {
		return ""
	}
	return ValueText(in.Default)
}

// ValueText is the text form of a value as a person would type it: strings
// bare, numbers and bools as written, null and unknown as "", empty
// collections as "", other collections as JSON.
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
