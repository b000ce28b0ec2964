package registry

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const testRequestID = "0190f5e4-8c2a-7b3d-9e4f-123456789abc"

var testCreatedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))

func testSpec(values map[string]string) RenderSpec {
	return RenderSpec{
		RequestID: testRequestID, Project: "payments", Environment: "dev",
		Requester: "Alice Example (U123)", CreatedAt: testCreatedAt, Values: values,
	}
}

// golden compares got with testdata/<name>.golden, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestRenderGolden(t *testing.T) {
	cat := loadTestdata(t, "catalog")
	tests := []struct {
		golden, module string
		values         map[string]string
	}{
		{"widget-minimal", "widget", map[string]string{"name": "orders"}},
		{"widget-all-types", "widget", map[string]string{
			"retry": `{"attempts": 5}`, "password_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf", "comment": "say \"${hi}\" and %{ if x }\\n\nbye ✓",
			"tags": "team=payments, cost-centre=42", "ports": "443, 80", "subnetIds": "subnet-1, subnet-2",
			"mode": "priority", "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/abc",
			"visibility timeout seconds": "60", "fifo": "yes", "name": "orders",
			"policy_json": `{"Version":"2012-10-17"}`,
		}},
		{"widget-defaults-kept", "widget", map[string]string{"name": "orders", "fifo": "false", "tags": ""}},
		{"plain", "plain", map[string]string{"name": "logs"}},
		// hclwrite alone writes a bare "for" key, which HCL reads as a for expression.
		{"widget-awkward-keys", "widget", map[string]string{"name": "orders", "tags": "for=a, null=b, a b=c, ${x}=d, a:x=e, ok-key=f"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			f, err := Render(mustModule(t, cat, tt.module), testSpec(tt.values))
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != "envs/dev/tfpilot_123456789abc.tf" || f.Label != "123456789abc" {
				t.Errorf("Path, Label = %q, %q", f.Path, f.Label)
			}
			golden(t, tt.golden, f.Content)
			if formatted := hclwrite.Format(f.Content); !slices.Equal(formatted, f.Content) {
				t.Errorf("output is not formatted; hclwrite.Format gives:\n%s", formatted)
			}
			if _, ds := hclsyntax.ParseConfig(f.Content, f.Path, hcl.InitialPos); ds.HasErrors() {
				t.Errorf("rendered file does not parse: %v", ds)
			}
		})
	}
}

func TestRenderNeverPrintsSensitiveValuesInTheHeader(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	f, err := Render(m, testSpec(map[string]string{"name": "orders", "password_arn": testSecretARN}))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(f.Content), "module ")
	if strings.Contains(header, testSecretARN) || strings.Contains(header, "orders-db") {
		t.Errorf("header leaks a sensitive value:\n%s", header)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	values := map[string]string{"name": "orders", "tags": "b=2, a=1, c=3", "ports": "3,1,2", "mode": "bulk", "fifo": "on"}
	first, err := Render(m, testSpec(values))
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := Render(m, testSpec(values))
		if !slices.Equal(first.Content, again.Content) {
			t.Fatalf("render differs between runs:\n%s\n---\n%s", first.Content, again.Content)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	tests := []struct {
		name   string
		modify func(*RenderSpec)
		want   InputErrors
	}{
		{"missing required", func(s *RenderSpec) { s.Values = map[string]string{"fifo": "true"} },
			InputErrors{{"name", "is required"}}},
		{"bad value and unknown key", func(s *RenderSpec) { s.Values = map[string]string{"name": "xy", "fifo": "perhaps", "nmae": "y"} },
			InputErrors{{"fifo", `expected true or false (yes/no and on/off also work), got "perhaps"`}, {"nmae", "unknown input; did you mean name?"}}},
		{"bad project and environment", func(s *RenderSpec) { s.Project, s.Environment = "Pay", "../prod" },
			InputErrors{
				{"project", `"Pay" must be 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit`},
				{"environment", `"../prod" must be 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit`},
			}},
		{"module's own system validation", func(s *RenderSpec) { s.Project = "a-very-long-project-name" },
			InputErrors{{"project", "project must be at most 20 characters."}}},
		{"request id", func(s *RenderSpec) { s.RequestID = "req-1" },
			InputErrors{{"request_id", `"req-1" is not a UUID`}}},
		{"created at", func(s *RenderSpec) { s.CreatedAt = time.Time{} },
			InputErrors{{"created_at", "is not set"}}},
		{"name too long", func(s *RenderSpec) {
			s.Values = map[string]string{"name": strings.Repeat("n", 40), "fifo": "yes"}
			s.Project = "p" + strings.Repeat("r", 19)
			s.Environment = "production-eu-west-1"
		},
			InputErrors{{"name", `"prrrrrrrrrrrrrrrrrrr-production-eu-west-1-nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn-dlq.fifo" is 91 characters, 11 more than an SQS queue name allows (80); shorten name by 11`},
				{"name", `"prrrrrrrrrrrrrrrrrrr-production-eu-west-1-nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.fifo" is 87 characters, 7 more than an SQS queue name allows (80); shorten name by 7`}}},
		{"system input as value", func(s *RenderSpec) { s.Values = map[string]string{"name": "xy", "project": "other"} },
			InputErrors{{"project", "is set by TfPilot and cannot be given"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(map[string]string{"name": "orders"})
			tt.modify(&spec)
			f, err := Render(m, spec)
			var got InputErrors
			if !errors.As(err, &got) {
				t.Fatalf("err = %v (%T), want InputErrors", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if f.Content != nil {
				t.Errorf("content rendered despite errors")
			}
		})
	}
}

func TestRenderLabelCollision(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	spec := testSpec(map[string]string{"name": "orders"})
	spec.ExistingFiles = []string{"versions.tf", "tfpilot_123456789abc.tf"}
	_, err := Render(m, spec)
	if !errors.Is(err, ErrLabelTaken) {
		t.Fatalf("err = %v, want ErrLabelTaken", err)
	}
	if want := "envs/dev/tfpilot_123456789abc.tf already exists: label already taken"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	spec.ExistingFiles = []string{"versions.tf", "tfpilot_0123456789ab.tf"}
	if _, err := Render(m, spec); err != nil {
		t.Errorf("unrelated files: %v", err)
	}
}

func TestLabel(t *testing.T) {
	tests := []struct{ id, want string }{
		{"0190f5e4-8c2a-7b3d-9e4f-123456789abc", "123456789abc"},
		{"0190F5E4-8C2A-7B3D-9E4F-123456789ABC", "123456789abc"},
		{"0190f5e48c2a7b3d9e4f123456789abc", "123456789abc"},
		// Two UUIDv7 IDs of the same millisecond share the first 12 hex digits.
		{"0190f5e4-8c2a-7b3d-9e4f-aaaaaaaaaaaa", "aaaaaaaaaaaa"},
		{"0190f5e4-8c2a-7c11-8e4f-bbbbbbbbbbbb", "bbbbbbbbbbbb"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		got := Label(tt.id)
		if got != tt.want {
			t.Errorf("Label(%q) = %q, want %q", tt.id, got, tt.want)
		}
		if !hclsyntax.ValidIdentifier("tfpilot_" + got) {
			t.Errorf("tfpilot_%s is not an HCL identifier", got)
		}
	}
}

func TestCommentTextCannotBreakOutOfTheComment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alice", "Alice"},
		{"", "(unknown)"},
		{"a\nmodule \"x\" {}", "a\uFFFDmodule \"x\" {}"},
		{"a\r\nb\u2028c\u0085d\x00", "a\uFFFD\uFFFDb\uFFFDc\uFFFDd\uFFFD"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := commentText(tt.in); got != tt.want {
			t.Errorf("commentText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRender renders any string and any requester and parses the file back:
// the file is still one module block with exactly the expected arguments, and
// the string argument is a template of literal parts only that evaluates,
// without any context, to the value given.
func FuzzRender(f *testing.F) {
	m := mustModule(f, loadTestdata(f, "catalog"), "widget")
	for _, s := range []string{
		"${x}", "$${x}", "$$${x}", "%{ if true }yes%{ endif }", "%%{x}", "${", "%{", "$", "%",
		`"`, `\`, `\"`, `\${x}`, "\n", "\r\n", "a\nb = 1", "\"\nmodule \"x\" {\n#", "\t", "\x00", "\u2028",
		"ünïcødé ✓ 🚀", "<<EOF\nx\nEOF", "}", "{", "# comment", "// c", "/* c */", "",
	} {
		f.Add(s, "alice", "team")
		f.Add("x", s, "team")
		f.Add("x", "alice", s)
	}
	for _, k := range []string{"for", "if", "null", "true", "in", "a b", "1a", "-x", "a.b", "x:y", `"0"`, `"a b"`, `"	"`} {
		f.Add("x", "alice", k)
	}
	f.Fuzz(func(t *testing.T, value, requester, tagKey string) {
		if strings.ContainsAny(tagKey, "=,") {
			return // a key cannot contain the separators of key=value, pairs
		}
		canon, err := m.Resolve(map[string]string{"comment": value, "tags": tagKey + "=v"})
		if err != nil {
			return // not UTF-8, too long, or a key with "=" or ",": refused before rendering
		}
		spec := testSpec(map[string]string{"name": "orders", "comment": canon["comment"], "tags": canon["tags"]})
		spec.Requester = requester
		file, err := Render(m, spec)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if formatted := hclwrite.Format(file.Content); !slices.Equal(formatted, file.Content) {
			t.Fatalf("output is not formatted:\n%s\nformatted:\n%s", file.Content, formatted)
		}
		parsed, ds := hclsyntax.ParseConfig(file.Content, "f.tf", hcl.InitialPos)
		if ds.HasErrors() {
			t.Fatalf("rendered file does not parse: %v\n%s", ds, file.Content)
		}
		body := parsed.Body.(*hclsyntax.Body)
		if len(body.Attributes) != 0 || len(body.Blocks) != 1 || body.Blocks[0].Type != "module" {
			t.Fatalf("file structure changed:\n%s", file.Content)
		}
		attrs := body.Blocks[0].Body.Attributes
		var names []string
		for n := range attrs {
			names = append(names, n)
		}
		slices.Sort(names)
		if diff := cmp.Diff([]string{"comment", "environment", "name", "project", "request_id", "source", "tags"}, names); diff != "" {
			t.Fatalf("arguments changed (-want +got):\n%s\n%s", diff, file.Content)
		}
		expr := attrs["comment"].Expr
		hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
			switch n.(type) {
			case *hclsyntax.TemplateExpr, *hclsyntax.LiteralValueExpr:
			default:
				t.Fatalf("value is not a literal: found %T in\n%s", n, file.Content)
			}
			return nil
		})
		got, ds := expr.Value(nil)
		if ds.HasErrors() {
			t.Fatalf("value does not evaluate: %v", ds)
		}
		if !got.RawEquals(cty.StringVal(value)) {
			t.Fatalf("value changed: got %#v, want %q\n%s", got, value, file.Content)
		}
		tags := attrs["tags"].Expr
		hclsyntax.VisitAll(tags, func(n hclsyntax.Node) hcl.Diagnostics {
			switch n := n.(type) {
			case *hclsyntax.ObjectConsExpr, *hclsyntax.ObjectConsKeyExpr, *hclsyntax.TemplateExpr, *hclsyntax.LiteralValueExpr:
			case *hclsyntax.ScopeTraversalExpr: // a bare key, read as its name
				if len(n.Traversal) != 1 {
					t.Fatalf("tags contain a reference %T:\n%s", n, file.Content)
				}
			default:
				t.Fatalf("tags are not a literal: found %T in\n%s", n, file.Content)
			}
			return nil
		})
		gotTags, ds := tags.Value(nil)
		if ds.HasErrors() {
			t.Fatalf("tags do not evaluate: %v\n%s", ds, file.Content)
		}
		wantKey := strings.TrimSpace(tagKey)
		if k, err := unquote(wantKey); err == nil {
			wantKey = k // a quoted key stands for the text inside its quotes
		}
		if gotTags.LengthInt() != 1 || !gotTags.Type().IsObjectType() || !gotTags.Type().HasAttribute(wantKey) ||
			!gotTags.GetAttr(wantKey).RawEquals(cty.StringVal("v")) {
			t.Fatalf("tags changed: got %#v, want {%q = \"v\"}\n%s", gotTags, wantKey, file.Content)
		}
		if err := CheckRequestFile(file.Path, file.Content); err != nil {
			t.Fatalf("CheckRequestFile refuses what Render wrote: %v\n%s", err, file.Content)
		}
	})
}
