package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// renderedFile is what Render writes for the widget module: the file a
// request's merge puts on the base branch.
func renderedFile(t testing.TB) File {
	t.Helper()
	file, err := Render(mustModule(t, loadTestdata(t, "catalog"), "widget"), testSpec(map[string]string{
		"name": "orders", "tags": "team=payments, cost-centre=42", "ports": "443, 80", "comment": "say ${hi} and %{ if x }",
	}))
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// TestCheckRequestFile: what Render writes is accepted — its goldens and a
// fresh file — and a file merged by hand under a request file's name that
// holds anything else is refused, saying what it holds.
func TestCheckRequestFile(t *testing.T) {
	file := renderedFile(t)
	path, src := file.Path, string(file.Content)
	goldens, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("goldens: %v %v", goldens, err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckRequestFile(path, b); err != nil {
			t.Errorf("%s, what Render writes, is refused: %v", g, err)
		}
	}
	// replace rewrites the rendered file's module block.
	replace := func(old, new string) string {
		if !strings.Contains(src, old) {
			t.Fatalf("the rendered file has no %q", old)
		}
		return strings.Replace(src, old, new, 1)
	}
	block := "module \"tfpilot_123456789abc\" {\n"
	for _, tc := range []struct {
		name, path, content, want string
	}{
		{"rendered", path, src, ""},
		{"comments added", path, "# reviewed by hand\n" + src + "/* more */\n// and more\n", ""},
		{"formatted otherwise", path, replace("source      =", "source="), ""},
		{"a default provider", path, src + "\nprovider \"aws\" {\n  region = \"us-east-1\"\n}\n", "it holds a provider block"},
		{"a provider alias first", path, "provider \"aws\" {\n  alias = \"x\"\n}\n" + src, "it holds a provider block"},
		{"a terraform block", path, src + "terraform {\n  backend \"s3\" {}\n}\n", "it holds a terraform block"},
		{"a moved block", path, src + "moved {\n  from = aws_s3_bucket.a\n  to   = aws_s3_bucket.b\n}\n", "it holds a moved block"},
		{"an import block", path, src + "import {\n  to = aws_s3_bucket.b\n  id = \"b\"\n}\n", "it holds a import block"},
		{"a removed block", path, src + "removed {\n  from = aws_s3_bucket.b\n}\n", "it holds a removed block"},
		{"a check block", path, src + "check \"x\" {\n  data \"http\" \"x\" {\n    url = \"https://example.com\"\n  }\n}\n", "it holds a check block"},
		{"locals", path, src + "locals {\n  x = 1\n}\n", "it holds a locals block"},
		{"an output", path, src + "output \"x\" {\n  value = 1\n}\n", "it holds a output block"},
		{"a variable", path, src + "variable \"x\" {}\n", "it holds a variable block"},
		{"a data source", path, src + "data \"aws_caller_identity\" \"x\" {}\n", "it holds a data block"},
		{"a resource", path, src + "resource \"aws_s3_bucket\" \"x\" {}\n", "it holds a resource block"},
		{"two module blocks", path, src + strings.Replace(src, "tfpilot_123456789abc", "tfpilot_123456789abd", 1), "it holds 2 blocks, not one"},
		{"nothing", path, "# empty\n", "it holds no module block"},
		{"a top-level argument", path, "x = 1\n" + src, "it sets x outside any block"},
		{"another label", path, replace(block, "module \"tfpilot_x\" {\n"), "its module block is named tfpilot_x, not tfpilot_123456789abc"},
		{"another request's label", "envs/dev/tfpilot_0000000000bb.tf", src, "its module block is named tfpilot_123456789abc, not tfpilot_0000000000bb"},
		{"two labels", path, replace(block, "module \"tfpilot_123456789abc\" \"x\" {\n"), "its module block is named tfpilot_123456789abc x, not"},
		{"a long label is clipped", path, replace(block, "module \""+strings.Repeat("x", 100)+"\\n\" {\n"),
			"its module block is named " + strings.Repeat("x", 39) + "…, not tfpilot_123456789abc"},
		{"a nested lifecycle block", path, replace(block, block+"  lifecycle {\n    prevent_destroy = true\n  }\n"), "its module block holds a lifecycle block"},
		{"providers", path, replace(block, block+"  providers = { aws = aws.other }\n"), "its module block sets providers, which TfPilot never writes"},
		{"count", path, replace(block, block+"  count = 0\n"), "its module block sets count"},
		{"for_each", path, replace(block, block+"  for_each = {}\n"), "its module block sets for_each"},
		{"depends_on", path, replace(block, block+"  depends_on = []\n"), "its module block sets depends_on"},
		{"version", path, replace(block, block+"  version = \"1.0\"\n"), "its module block sets version"},
		{"a remote source", path, replace(`"../../modules/widget"`, `"git::https://example.com/x.git"`), "its module block's source is not a module of the catalogue"},
		{"a source leaving modules", path, replace(`"../../modules/widget"`, `"../../modules/../x"`), "its module block's source is not a module of the catalogue"},
		{"a computed source", path, replace(`"../../modules/widget"`, `local.src`), "its module block's source is not a module of the catalogue"},
		{"no source", path, replace("  source      = \"../../modules/widget\"\n", ""), "its module block has no source"},
		{"a function call", path, replace(`name  = "orders"`, `name = file("/etc/passwd")`), "its module block's argument name is not a literal value"},
		{"a reference", path, replace(`name  = "orders"`, `name = data.aws_caller_identity.x.account_id`), "its module block's argument name is not a literal value"},
		{"an interpolation", path, replace(`name  = "orders"`, `name = "${var.x}"`), "its module block's argument name is not a literal value"},
		{"not HCL", path, src + "}\n", "it is not valid HCL (Argument or block definition required)"},
		{"not a request file's name", "envs/dev/main.tf", src, "it is not named like a request's file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if err := CheckRequestFile(tc.path, []byte(tc.content)); err != nil {
				got = err.Error()
			}
			if tc.want == "" || !strings.HasPrefix(got, tc.want) {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("CheckRequestFile (-want +got):\n%s\n%s", diff, tc.content)
				}
			}
		})
	}
}

// FuzzCheckRequestFile: whatever a file holds, CheckRequestFile answers
// without panicking, and what it accepts parses, after anything is
// appended to it but a comment, no more (an accepted file stays accepted
// only with comments added).
func FuzzCheckRequestFile(f *testing.F) {
	file := renderedFile(f)
	f.Add(file.Content, "")
	f.Add(file.Content, "provider \"aws\" {}\n")
	f.Add(file.Content, "# a comment\n")
	f.Add([]byte("module \"tfpilot_123456789abc\" {\n  source = \"../../modules/x\"\n}\n"), "x = 1\n")
	f.Fuzz(func(t *testing.T, content []byte, tail string) {
		err := CheckRequestFile(file.Path, content)
		if err != nil {
			if len(err.Error()) > 200 {
				t.Errorf("the reason is %d bytes long: %q", len(err.Error()), err)
			}
			return
		}
		if err := CheckRequestFile(file.Path, append(append([]byte(nil), content...), "\n# "+strings.ReplaceAll(tail, "\n", " ")+"\n"...)); err != nil {
			t.Errorf("an accepted file with a comment added is refused: %v", err)
		}
	})
}
