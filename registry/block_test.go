package registry

import (
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// blockBothWays renders a module block directly and through hclwrite.
func blockBothWays(system, user []attr) (direct, viaHCLWrite string) {
	var d, h strings.Builder
	writeModuleBlock(&d, "tfpilot_abc", system, user)
	writeModuleBlockHCLWrite(&h, "tfpilot_abc", system, user)
	return d.String(), h.String()
}

var testSystemAttrs = []attr{
	{name: "source", val: cty.StringVal("../../modules/widget")},
	{name: "project", val: cty.StringVal("payments")},
	{name: "environment", val: cty.StringVal("dev")},
	{name: "request_id", val: cty.StringVal("0190f5e4-8c2a-7b3d-9e4f-123456789abc")},
}

func TestModuleBlockMatchesHCLWrite(t *testing.T) {
	str := cty.StringVal
	tests := []struct {
		name string
		user []attr
	}{
		{"no user inputs", nil},
		{"scalars", []attr{
			{name: "name", val: str("orders")},
			{name: "fifo", val: cty.True},
			{name: "visibility_timeout_seconds", val: cty.NumberIntVal(-60)},
			{name: "ratio", val: cty.NumberFloatVal(0.125)},
			{name: "big", val: cty.NumberVal(new(big.Float).SetPrec(512).SetMantExp(big.NewFloat(1), 200))},
			{name: "kms_key_arn", val: cty.NullVal(cty.String)},
			{name: "comment", val: str("say \"${hi}\" and %{ if x }\\n\n\r\n\t\x00\u2028 bye ✓ 🚀 e\u0301")},
			{name: "empty", val: str("")},
		}},
		{"collections", []attr{
			{name: "subnet_ids", val: cty.ListVal([]cty.Value{str("subnet-1"), str("subnet-2")})},
			{name: "ports", val: cty.SetVal([]cty.Value{cty.NumberIntVal(443), cty.NumberIntVal(80)})},
			{name: "none", val: cty.ListValEmpty(cty.String)},
			{name: "with_null", val: cty.ListVal([]cty.Value{cty.NullVal(cty.String), str("x")})},
			{name: "tags", val: cty.MapVal(map[string]cty.Value{
				"team": str("payments"), "cost-centre": str("42"), "for": str("x"), "": str("empty key"),
				"\u0301accent": str("combining mark first"), "ünï": str("u"), "a b": str("${x}"), "1a": str("n"),
			})},
			{name: "after_tags", val: str("aligned again")},
			{name: "x", val: cty.NumberIntVal(1)},
			{name: "no_tags", val: cty.MapValEmpty(cty.String)},
			{name: "null_map", val: cty.NullVal(cty.Map(cty.String))},
			{name: "retry", val: cty.ObjectVal(map[string]cty.Value{
				"attempts": cty.NumberIntVal(5), "backoff": str("exponential"), "codes": cty.ListVal([]cty.Value{cty.NumberIntVal(500)}),
				"nothing": cty.NullVal(cty.String), "empty": cty.EmptyObjectVal, "t": cty.TupleVal([]cty.Value{str("a"), cty.True}),
			})},
		}},
		{"nested, through hclwrite", []attr{
			{name: "rules", val: cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(80)})})},
			{name: "deep", val: cty.ObjectVal(map[string]cty.Value{"inner": cty.ObjectVal(map[string]cty.Value{"a": str("b")})})},
		}},
		{"non-ASCII names", []attr{
			{name: "größe", val: str("x")},
			{name: "n", val: str("y")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			direct, via := blockBothWays(testSystemAttrs, tt.user)
			if diff := cmp.Diff(via, direct); diff != "" {
				t.Errorf("direct block differs from hclwrite's (-hclwrite +direct):\n%s", diff)
			}
		})
	}
}

func FuzzModuleBlock(f *testing.F) {
	for _, s := range []string{"", "x", "${x}", "%{", "\"", "\\", "\n", "ünï", "\u0301", "e\u0301", "🚀", "for", "a b", "\x00"} {
		f.Add(s, s, 1.5)
	}
	f.Fuzz(func(t *testing.T, key, value string, n float64) {
		if !cty.StringVal(key).IsKnown() || strings.ToValidUTF8(key, "") != key || strings.ToValidUTF8(value, "") != value {
			return
		}
		num := cty.NumberIntVal(0)
		if n == n && n < 1e300 && n > -1e300 { // not NaN or infinite
			num = cty.NumberFloatVal(n)
		}
		user := []attr{
			{name: "comment", val: cty.StringVal(value)},
			{name: "count", val: num},
			{name: "tags", val: cty.MapVal(map[string]cty.Value{key: cty.StringVal(value), "team": cty.StringVal("x")})},
			{name: "list", val: cty.ListVal([]cty.Value{cty.StringVal(key), cty.StringVal(value)})},
		}
		direct, via := blockBothWays(testSystemAttrs, user)
		if direct != via {
			t.Fatalf("direct block differs from hclwrite's:\n%s\nhclwrite:\n%s", direct, via)
		}
	})
}

func TestNumberTextIsHCLWriteNumber(t *testing.T) {
	var vals []*big.Float
	for _, prec := range []uint{24, 53, 64, 512} {
		for _, x := range []float64{1, -1, 60, 43200, 1e15, 1 << 52, 1<<53 - 1, 1 << 53, 1<<53 + 2, 1e20, 0.5, -2.25, 1e-7, 123456.789} {
			vals = append(vals, new(big.Float).SetPrec(prec).SetFloat64(x))
		}
		vals = append(vals, new(big.Float).SetPrec(prec).SetInt64(1<<62+1), new(big.Float).SetPrec(prec).SetInt64(-(1<<53 - 1)))
	}
	for _, s := range []string{"0", "-0", "60", "-5", "9007199254740991", "9007199254740993", "1e300", "0.1"} {
		v, err := cty.ParseNumberVal(s)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v.AsBigFloat())
	}
	for _, bf := range vals {
		if got, want := numberText(bf), bf.Text('f', -1); got != want {
			t.Errorf("numberText(%s at %d bits) = %s, want %s", bf.Text('g', 20), bf.Prec(), got, want)
		}
	}
}

func TestASCIIIdentifierAgreesWithHCL(t *testing.T) {
	for _, k := range []string{"", "a", "A", "_", "_a", "a-b", "a_b", "a1", "1a", "-a", "a.b", "a b", "a:b", "é", "aé", "a\x00", "team", "cost-centre", "x-", "a--b", "__"} {
		if got, want := asciiIdentifier(k), hclsyntax.ValidIdentifier(k); got && !want || !got && want && isASCII(k) {
			t.Errorf("asciiIdentifier(%q) = %v, hclsyntax.ValidIdentifier = %v", k, got, want)
		}
	}
	for c := range 128 {
		for _, k := range []string{string(rune(c)), "a" + string(rune(c)), "a" + string(rune(c)) + "b"} {
			if got, want := asciiIdentifier(k), hclsyntax.ValidIdentifier(k); got != want {
				t.Errorf("asciiIdentifier(%q) = %v, hclsyntax.ValidIdentifier = %v", k, got, want)
			}
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
