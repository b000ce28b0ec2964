package registry

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// contentSummary is what a BodyContent and its diagnostics say, comparably.
func contentSummary(c *hcl.BodyContent, ds hcl.Diagnostics) []string {
	var out []string
	for name, a := range c.Attributes {
		out = append(out, fmt.Sprintf("attr %s %s %v %v", name, a.Name, a.Range, a.NameRange))
	}
	for i, b := range c.Blocks {
		out = append(out, fmt.Sprintf("block %d %s %q %v", i, b.Type, b.Labels, b.DefRange))
	}
	out = append(out, fmt.Sprintf("missing %v nil-blocks %v", c.MissingItemRange, c.Blocks == nil))
	for _, d := range ds {
		out = append(out, fmt.Sprintf("diag %d: %s: %s at %v", d.Severity, d.Summary, d.Detail, d.Subject))
	}
	slices.Sort(out) // attributes and some diagnostics come in map order
	return out
}

func TestBodyContentMatchesHCL(t *testing.T) {
	for _, src := range []string{
		``,
		`description = "x"`,
		"description = \"x\"\ntype = string\ndefault = 1\nvalidation {\n  condition = true\n  error_message = \"m\"\n}\nvalidation {\n}\n",
		`descripton = "typo"`,
		`validation "label" {}`,
		`other {}`,
		"type = string\nvalidation = 1",
		"condition = true",
		"condition = true\nerror_message = \"m\"\nextra = 1",
		"value = 1\nprecondition {}\n",
		"variable \"a\" {}\nvariable {}\noutput \"o\" {}\nresource \"t\" \"n\" {}\nresource \"t\" {}\nlocals {}\nterraform {}\nx = 1\n",
		"variable \"a\" \"b\" {}\nlocals \"l\" {}\n",
		"variable \"a\" {}\nmodule \"m\" {}\nresource \"t\" \"n\" {}\n",
	} {
		f, ds := hclsyntax.ParseConfig([]byte(src), "t.tf", hcl.InitialPos)
		if ds.HasErrors() {
			t.Fatalf("%q: %v", src, ds)
		}
		for _, schema := range []*hcl.BodySchema{variableSchema, validationSchema, outputSchema, rootSchema} {
			want, wantDs := f.Body.Content(schema)
			got, gotDs := bodyContent(f.Body, schema)
			if diff := cmp.Diff(contentSummary(want, wantDs), contentSummary(got, gotDs)); diff != "" {
				t.Errorf("bodyContent(%q) (-hcl +direct):\n%s", src, diff)
			}
			want, _, wantDs = f.Body.PartialContent(schema)
			got, gotDs = rootContent(f.Body, schema)
			if diff := cmp.Diff(contentSummary(want, wantDs), contentSummary(got, gotDs)); diff != "" {
				t.Errorf("rootContent(%q) (-hcl +direct):\n%s", src, diff)
			}
		}
	}
}

func TestQuotedLiteralMatchesEvaluation(t *testing.T) {
	for _, src := range []string{`"plain"`, `""`, `"e\u0301 ✓"`, `"a$${b}"`, `"${x}"`, `"a${1}"`, `1`, `null`, "<<EOT\nline\nEOT\n", `"%{ if true }x%{ endif }"`} {
		expr, ds := hclsyntax.ParseExpression([]byte(src), "t.tf", hcl.InitialPos)
		if ds.HasErrors() {
			t.Fatalf("%q: %v", src, ds)
		}
		got, ok := quotedLiteral(expr)
		if !ok {
			continue
		}
		want, ds := expr.Value(nil)
		if ds.HasErrors() || !want.RawEquals(got) || got.Type() != cty.String {
			t.Errorf("quotedLiteral(%s) = %#v, evaluation gives %#v %v", src, got, want, ds)
		}
	}
	if _, ok := quotedLiteral(mustExpr(t, `"${x}"`)); ok {
		t.Error("quotedLiteral accepted an interpolation")
	}
	if _, ok := quotedLiteral(mustExpr(t, `"plain"`)); !ok {
		t.Error("quotedLiteral refused a plain string")
	}
}

func mustExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	expr, ds := hclsyntax.ParseExpression([]byte(src), "t.tf", hcl.InitialPos)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return expr
}
