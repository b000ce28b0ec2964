package registry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckRequestFileAttacks: second pass of hostile request files (issue
// 13). What is refused could change what applying another request does;
// what is accepted Terraform reads as the same single module call, whose
// arguments are constants: values of another request's module, whose
// changes a plan shows outside the request's own module (ScopeFindings).
func TestCheckRequestFileAttacks(t *testing.T) {
	file := renderedFile(t)
	path, src := file.Path, string(file.Content)
	replace := func(old, new string) string {
		if !strings.Contains(src, old) {
			t.Fatalf("the rendered file has no %q", old)
		}
		return strings.Replace(src, old, new, 1)
	}
	const source = `"../../modules/widget"`
	const notCatalogue = "its module block's source is not a module of the catalogue (../../modules/<name>)"
	block := "module \"tfpilot_123456789abc\" {\n"
	for _, tc := range []struct {
		name, path, content, want string
	}{
		// Sources outside the catalogue.
		{"a source with a trailing slash", path, replace(source, `"../../modules/widget/"`), notCatalogue},
		{"a source into a module's subfolder", path, replace(source, `"../../modules/widget//sub"`), notCatalogue},
		{"a source through ./", path, replace(source, `"../../modules/./widget"`), notCatalogue},
		{"a source into an environment", path, replace(source, `"../../modules/../envs/prod"`), notCatalogue},
		{"an upper-case source", path, replace(source, `"../../modules/Widget"`), notCatalogue},
		{"an absolute source", path, replace(source, `"/modules/widget"`), notCatalogue},
		{"a Windows source", path, replace(source, `"..\\..\\modules\\widget"`), notCatalogue},
		{"a heredoc source (a trailing newline)", path, replace(source, "<<EOT\n../../modules/widget\nEOT\n"), notCatalogue},
		// Look-alikes.
		{"a Cyrillic e in the block type", path, replace("module \"", "modul\u0435 \""), "it holds a modul\u0435 block"},
		{"a Cyrillic a in the label", path, replace(block, "module \"tfpilot_123456789\u0430bc\" {\n"), "its module block is named tfpilot_123456789\u0430bc, not tfpilot_123456789abc"},
		{"an upper-case label", path, replace(block, "module \"tfpilot_123456789ABC\" {\n"), "its module block is named tfpilot_123456789ABC, not tfpilot_123456789abc"},
		{"an upper-case file name", "envs/dev/tfpilot_123456789ABC.tf", src, "it is not named like a request's file"},
		{"a JSON file's name", "envs/dev/tfpilot_123456789abc.tf.json", `{"provider":{"aws":{"region":"us-east-1"}}}`, "it is not named like a request's file"},
		// Bytes. HCL 2.25 here and 2.16.2 in Terraform 1.5.7 share their
		// scanner (2.25 adds "::" only) and both skip a byte-order mark.
		{"a byte-order mark", path, "\uFEFF" + src, ""},
		{"a NUL byte in a string", path, replace(`"orders"`, "\"ord\x00ers\""), ""},
		{"invalid UTF-8 in a comment", path, replace("# Managed", "# \xffManaged"), ""},
		{"invalid UTF-8 in a string", path, replace(`"orders"`, "\"ord\xffers\""), "it is not valid HCL"},
		{"CRLF line ends", path, strings.ReplaceAll(src, "\n", "\r\n"), ""},
		{"a namespaced function", path, replace(`"orders"`, `provider::aws::arn_parse("x")`), "its module block's argument name is not a literal value"},
		// Blocks hidden from one reader and not the other: none.
		{"a block in a comment", path, src + "/*\nprovider \"aws\" {}\n*/\n", ""},
		{"a block in a string", path, replace(`"orders"`, "<<EOT\n}\nprovider \"aws\" {}\nEOT\n"), ""},
		{"a block after an unclosed comment", path, src + "/* provider \"aws\" {}\n", "it is not valid HCL"},
		// Meta-arguments are case-sensitive: Count is an input of the module
		// (Terraform refuses it unless the module declares it).
		{"Count", path, replace(block, block+"  Count = 0\n"), ""},
		// Constants Render does not write, accepted: the value is all the
		// plan sees.
		{"a sum of literals", path, replace(`"orders"`, `1 + 1`), ""},
		{"a template of literals", path, replace(`"orders"`, `"${"ord"}ers"`), ""},
		{"a for expression over literals", path, replace(`"orders"`, `[for x in ["a"] : upper(x)]`), "its module block's argument name is not a literal value"},
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
