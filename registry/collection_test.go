package registry

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// renderedValue renders a request of m with name=orders and field=text, the
// way a form submission reaches the file (Resolve, then Render), and returns
// the HCL of field's value, on one line.
func renderedValue(t *testing.T, m *Module, field, text string) (string, error) {
	t.Helper()
	canon, err := m.Resolve(map[string]string{field: text})
	if err != nil {
		return "", err
	}
	canon["name"] = "orders"
	f, err := Render(m, testSpec(canon))
	if err != nil {
		return "", err
	}
	hf, diags := hclwrite.ParseConfig(f.Content, "f.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("rendered file does not parse: %v\n%s", diags, f.Content)
	}
	a := hf.Body().Blocks()[0].Body().GetAttribute(field)
	if a == nil {
		t.Fatalf("rendered file has no %s:\n%s", field, f.Content)
	}
	return strings.Join(strings.Fields(string(a.Expr().BuildTokens(nil).Bytes())), " "), nil
}

// TestCollectionSyntax checks every way the form and key=value replies
// write a list or a map (see collection.go), from the text to the rendered
// HCL value. A key=value reply reaches the same text through
// command.ParseAssignments (bot/console's TestTypedCollections).
func TestCollectionSyntax(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	tests := []struct {
		field, text string
		want        string // rendered HCL, or the error
	}{
		// map(string)
		{"tags", "team=payments, tier=gold", `{ team = "payments" tier = "gold" }`},
		{"tags", "team = payments , tier=gold plus", `{ team = "payments" tier = "gold plus" }`},
		{"tags", `{team=payments, tier="gold, plus"}`, `{ team = "payments" tier = "gold, plus" }`},
		{"tags", `{a=b, c="d e"}`, `{ a = "b" c = "d e" }`},
		{"tags", `{"a"="b"}`, `{ a = "b" }`},
		{"tags", `{"a" = "b", "c d" = "e"}`, `{ a = "b" "c d" = "e" }`},
		{"tags", `{"team":"payments","tier":"gold"}`, `{ team = "payments" tier = "gold" }`},
		{"tags", `{ "team": "payments" }`, `{ team = "payments" }`},
		{"tags", `{a:b}`, `{ a = "b" }`},
		{"tags", `{a: b, c: "d e"}`, `{ a = "b" c = "d e" }`},
		{"tags", "{\n  team = payments\n  tier = gold\n}", `{ team = "payments" tier = "gold" }`},
		{"tags", "team=payments\ntier=gold\n", `{ team = "payments" tier = "gold" }`},
		{"tags", "team=payments,\n\ntier=gold", `{ team = "payments" tier = "gold" }`},
		{"tags", "{team=payments,}", `{ team = "payments" }`},
		{"tags", "company:team=payments", `{ "company:team" = "payments" }`},
		{"tags", `{"company:team"="payments"}`, `{ "company:team" = "payments" }`},
		{"tags", `{url: "https://example.com/a?b=c"}`, `{ url = "https://example.com/a?b=c" }`},
		{"tags", "tier=gold=1", `{ tier = "gold=1" }`},
		{"tags", "“team”=“pay ments”", `{ team = "pay ments" }`},
		{"tags", `{q="say \"hi\"\n"}`, `{ q = "say \"hi\"\n" }`},
		{"tags", "note=", `{ note = "" }`},
		{"tags", "{}", `{}`},
		{"tags", "", `{}`},
		{"tags", "{team=payments", "tags: starts with { but does not end with }; expected key=value pairs separated by commas, like team=payments, tier=gold"},
		{"tags", `team="payments`, "tags: has a quote that is not closed; expected key=value pairs separated by commas, like team=payments, tier=gold"},
		{"tags", `{"team"x=payments}`, `tags: item 1: "\"team\"x" has text after its closing quote; quote the whole item`},
		{"tags", "{team}", `tags: item 1 ("team") is not key=value; expected key=value pairs separated by commas, like team=payments, tier=gold`},
		{"tags", "a=1,,b=2", `tags: item 2 ("") is not key=value; expected key=value pairs separated by commas, like team=payments, tier=gold`},
		{"tags", `{"a"="b", a=c}`, `tags: key "a" is given twice`},
		// list(string)
		{"subnet_ids", "subnet-a, subnet-b", `["subnet-a", "subnet-b"]`},
		{"subnet_ids", "subnet-a,subnet-b", `["subnet-a", "subnet-b"]`},
		{"subnet_ids", "[subnet-a, subnet-b]", `["subnet-a", "subnet-b"]`},
		{"subnet_ids", `["subnet-a", "subnet-b"]`, `["subnet-a", "subnet-b"]`},
		{"subnet_ids", `["subnet-a","subnet-b",]`, `["subnet-a", "subnet-b"]`},
		{"subnet_ids", "[\n  subnet-a,\n  subnet-b\n]", `["subnet-a", "subnet-b"]`},
		{"subnet_ids", "subnet-a\nsubnet-b", `["subnet-a", "subnet-b"]`},
		{"subnet_ids", `"subnet-a, b"`, `["subnet-a, b"]`},
		{"subnet_ids", "[]", `[]`},
		{"subnet_ids", "", `[]`},
		{"subnet_ids", "[subnet-a", "subnet_ids: starts with [ but does not end with ]; expected a comma-separated list, like a, b, c"},
		{"subnet_ids", "subnet-a,,subnet-b", "subnet_ids: item 2 is empty; expected a comma-separated list, like a, b, c"},
		{"subnet_ids", "[,subnet-a]", "subnet_ids: item 1 is empty; expected a comma-separated list, like a, b, c"},
		// set(number)
		{"ports", "443, 80", `[80, 443]`},
		{"ports", "[443, 80]", `[80, 443]`},
		{"ports", `["443", " 80 "]`, `[80, 443]`},
		{"ports", "[80, http]", `ports: item 2: expected a number, like 30, got "http"`},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.text, func(t *testing.T) {
			got, err := renderedValue(t, m, tt.field, tt.text)
			var ie InputErrors
			if errors.As(err, &ie) {
				got = ie.Error()
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s=%q (-want +got):\n%s", tt.field, tt.text, diff)
			}
		})
	}
}

// TestCollectionCanonical checks that the canonical text of awkward lists
// and maps reads back as the same value (quoted where it must be).
func TestCollectionCanonical(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	tests := []struct{ field, text, want string }{
		{"tags", `{a="x, y", "k=1"=v, " s "=" t ", e="", q="say \"hi\""}`, `" s "=" t ", a="x, y", e=, "k=1"=v, q="say \"hi\""`},
		{"tags", `{"{a"=b}`, `"{a"=b`},
		{"subnet_ids", `["subnet-a, b", "subnet-\"d\"", "subnet-e"]`, `"subnet-a, b", "subnet-\"d\"", subnet-e`},
		{"tags", "team=payments, tier=gold", "team=payments, tier=gold"},
	}
	for _, tt := range tests {
		got, err := m.Resolve(map[string]string{tt.field: tt.text})
		if err != nil {
			t.Errorf("Resolve(%s=%q): %v", tt.field, tt.text, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got[tt.field]); diff != "" {
			t.Errorf("canonical text of %q (-want +got):\n%s", tt.text, diff)
		}
		again, err := m.Resolve(got)
		if err != nil || !cmp.Equal(got, again) {
			t.Errorf("Resolve(%q) = %v, %v; want it unchanged", got, again, err)
		}
	}
}
