package registry

import (
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// deepFile is a request file whose module block sets x to expr, and a
// catalogue module whose variable x defaults to it.
func deepFile(expr string) (request, module string) {
	return "module \"tfpilot_123456789abc\" {\n  source = \"../../modules/widget\"\n  x = " + expr + "\n}\n",
		"variable \"x\" {\n  default = " + expr + "\n}\n"
}

// TestTooDeepFilesAreRefused: HCL's parser recurses once per nesting level
// and per chained operator, so 300,000 "[" or a million "!" (less than the
// megabyte the bot reads, flow.MaxFileAt) overflowed Go's stack, a fatal
// error that killed the process (the bot on a carried approval or a
// catalogue load, at every restart). Now a request file or a module file
// past maxLevels is refused, unparsed; these are a few times past it.
func TestTooDeepFilesAreRefused(t *testing.T) {
	const n = 3 * maxLevels
	for _, tc := range []struct{ name, expr string }{
		{"brackets", strings.Repeat("[", n) + strings.Repeat("]", n)},
		{"parentheses", strings.Repeat("(", n) + "1" + strings.Repeat(")", n)},
		{"objects", strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n)},
		{"templates", strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n)},
		{"for expressions", strings.Repeat("[for x in ", n) + "[1]" + strings.Repeat(": x]", n)},
		{"not", strings.Repeat("!", n) + "true"},
		{"negation", strings.Repeat("-", n) + "1"},
		{"a sum", strings.Repeat("1+", n) + "1"},
		{"splats", "[1]" + strings.Repeat("[*]", n)},
		{"template directives", `"` + strings.Repeat("%{if true}", n) + "x" + strings.Repeat("%{endif}", n) + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			request, module := deepFile(tc.expr)
			got := ""
			if err := CheckRequestFile("envs/dev/tfpilot_123456789abc.tf", []byte(request)); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff("it nests brackets, quotes, templates and operators more than 4096 deep", got); diff != "" {
				t.Errorf("CheckRequestFile (-want +got):\n%s", diff)
			}
			cat, _ := Load(fstest.MapFS{"m/main.tf": {Data: []byte(module)}})
			var ds []string
			for _, d := range cat.Diagnostics {
				ds = append(ds, d.Error())
			}
			want := []string{"m/main.tf:2: File too deeply nested: It nests brackets, quotes, templates and operators more than 4096 deep, which TfPilot does not read; simplify it."}
			if diff := cmp.Diff(want, ds); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFilesWithinBoundsParse: a file at the bound parses, as a request
// file and as a module, within 128 MB of stack, an eighth of the 1 GB at
// which the process dies.
// (TestCheckRequestFile checks what Render writes is inside it.)
func TestFilesWithinBoundsParse(t *testing.T) {
	old := debug.SetMaxStack(128 << 20)
	defer debug.SetMaxStack(old)
	const half = maxLevels / 2 // the block's brace is one level
	for _, tc := range []struct{ name, expr string }{
		{"brackets", strings.Repeat("[", maxLevels-1) + strings.Repeat("]", maxLevels-1)},
		{"templates", strings.Repeat(`"${`, half-1) + "1" + strings.Repeat(`}"`, half-1)},
		{"not, in brackets", strings.Repeat("[", half) + strings.Repeat("!", half-1) + "true" + strings.Repeat("]", half)},
		{"negation, in objects", strings.Repeat("{a=", half) + strings.Repeat("-", half-1) + "1" + strings.Repeat("}", half)},
		{"a sum, in parentheses", strings.Repeat("(", half) + strings.Repeat("1+", half-1) + "1" + strings.Repeat(")", half)},
		{"template directives", `"` + strings.Repeat("%{if true}", half-2) + "x" + strings.Repeat("%{endif}", half-2) + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			request, module := deepFile(tc.expr)
			if err := CheckRequestFile("envs/dev/tfpilot_123456789abc.tf", []byte(request)); err != nil {
				t.Errorf("CheckRequestFile: %v", err)
			}
			if _, err := Load(fstest.MapFS{"m/main.tf": {Data: []byte(module)}}); err != nil {
				t.Errorf("Load: %v", err)
			}
		})
	}
}
