package registry

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// inputSummary is the part of an Input a table can state.
type inputSummary struct {
	Name, TypeExpr, Default          string
	Required, System, Sensitive, Nul bool
	Options                          []string
	Validations                      int
}

func summarize(in *Input) inputSummary {
	def := ""
	if in.HasDefault {
		def = in.Default.GoString()
	}
	return inputSummary{
		Name: in.Name, TypeExpr: in.TypeExpr, Default: def,
		Required: in.Required, System: in.System, Sensitive: in.Sensitive, Nul: in.Nullable,
		Options: in.Options, Validations: len(in.Validations),
	}
}

func TestLoadCatalog(t *testing.T) {
	cat := loadTestdata(t, "catalog")
	var names []string
	for _, m := range cat.Modules {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"plain", "widget"}, names); diff != "" {
		t.Fatalf("modules (-want +got):\n%s", diff)
	}
	m := mustModule(t, cat, "widget")
	if want := "A test queue module with a two-line first paragraph."; m.Description != want {
		t.Errorf("Description = %q, want %q", m.Description, want)
	}
	var got []inputSummary
	for _, in := range m.Inputs {
		got = append(got, summarize(in))
	}
	want := []inputSummary{
		{Name: "project", TypeExpr: "string", Required: true, System: true, Nul: true, Validations: 1},
		{Name: "environment", TypeExpr: "string", Required: true, System: true, Nul: true},
		{Name: "request_id", TypeExpr: "string", Required: true, System: true, Nul: true},
		{Name: "name", TypeExpr: "string", Required: true, Nul: true, Validations: 2},
		{Name: "fifo", TypeExpr: "bool", Default: "cty.False", Nul: true},
		{Name: "visibility_timeout_seconds", TypeExpr: "number", Default: "cty.NumberIntVal(30)", Nul: true, Validations: 1},
		{Name: "mode", TypeExpr: "string", Default: `cty.StringVal("standard")`, Nul: true, Options: []string{"standard", "priority", "bulk"}, Validations: 1},
		{Name: "subnet_ids", TypeExpr: "list(string)", Default: "cty.ListValEmpty(cty.String)", Nul: true, Validations: 1},
		{Name: "ports", TypeExpr: "set(number)", Default: "cty.SetValEmpty(cty.Number)", Nul: true},
		{Name: "tags", TypeExpr: "map(string)", Default: "cty.MapValEmpty(cty.String)", Nul: true, Validations: 1},
		{Name: "kms_key_arn", TypeExpr: "string", Default: "cty.NullVal(cty.String)", Nul: true, Validations: 1},
		{Name: "comment", TypeExpr: "string", Default: `cty.StringVal("")`, Nul: true},
		{Name: "policy_json", TypeExpr: "string", Default: "cty.NullVal(cty.String)", Nul: true, Validations: 1},
		{Name: "retry", TypeExpr: "object({\n    attempts = number\n    backoff  = optional(string, \"exponential\")\n  })", Default: "cty.NullVal(cty.Object(map[string]cty.Type{\"attempts\":cty.Number, \"backoff\":cty.String}))", Nul: true},
		{Name: "password_arn", TypeExpr: "string", Default: "cty.NullVal(cty.String)", Nul: true, Sensitive: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"aws_sqs_queue"}, m.ResourceTypes); diff != "" {
		t.Errorf("ResourceTypes (-want +got):\n%s", diff)
	}
	outs := []Output{}
	for _, o := range m.Outputs {
		outs = append(outs, *o)
	}
	wantOuts := []Output{
		{Name: "queue_url", Description: "URL of the queue.", File: "widget/outputs.tf", Line: 1},
		{Name: "secret", Description: "Something sensitive.", Sensitive: true, File: "widget/outputs.tf", Line: 6},
	}
	if diff := cmp.Diff(wantOuts, outs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	var user []string
	for _, in := range m.UserInputs() {
		user = append(user, in.Name)
	}
	if user[0] != "name" || len(user) != len(m.Inputs)-3 {
		t.Errorf("UserInputs = %v, want the inputs without the system ones", user)
	}
	if v := m.Inputs[3].Validations[0]; v.File != "widget/variables.tf" || v.Line != 23 || v.ErrorMessage == "" {
		t.Errorf("validation location = %s:%d %q", v.File, v.Line, v.ErrorMessage)
	}
	if _, ok := cat.Module("nope"); ok {
		t.Error(`Module("nope") found something`)
	}
}

func TestLoadReportsBrokenModulesAndKeepsTheOthers(t *testing.T) {
	cat, err := Load(os.DirFS("testdata/broken"))
	if err == nil {
		t.Fatal("Load returned no error for broken modules")
	}
	if _, ok := err.(Diagnostics); !ok {
		t.Fatalf("error is %T, want Diagnostics", err)
	}
	var names []string
	for _, m := range cat.Modules {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"good"}, names); diff != "" {
		t.Errorf("loaded modules (-want +got):\n%s", diff)
	}
	var got []string
	for _, d := range cat.Diagnostics {
		got = append(got, d.Module+" "+d.Error())
	}
	want := []string{
		"badfunc badfunc/variables.tf:5: validation uses function cidrhost(), which TfPilot cannot evaluate",
		"crossref crossref/variables.tf:10: validation of max may only refer to var.max",
		"crossref crossref/variables.tf:18: default of bad_default does not match its type number: a number is required",
		"syntax syntax/main.tf:7: Invalid multi-line string: Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.",
		"syntax syntax/main.tf:8: Invalid multi-line string: Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.",
		"syntax syntax/main.tf:7: Unterminated template string: No closing marker was found for the string.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestLoadEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		fs   fstest.MapFS
		want []string
	}{
		{"empty root", fstest.MapFS{}, nil},
		{"no tf files", fstest.MapFS{"m/README.md": {Data: []byte("x")}}, []string{"m: module has no .tf files"}},
		{"bad folder name", fstest.MapFS{"Big/main.tf": {Data: []byte("")}}, []string{"Big: module folder name must be lowercase letters, digits, hyphens and underscores, starting with a letter or digit"}},
		{"duplicate variable", fstest.MapFS{"m/a.tf": {Data: []byte("variable \"x\" {}\nvariable \"x\" {}\n")}}, []string{`m/a.tf:2: variable "x" is declared twice`}},
		{"unsupported argument", fstest.MapFS{"m/a.tf": {Data: []byte("variable \"x\" {\n  colour = 1\n}\n")}}, []string{`m/a.tf:2: Unsupported argument: An argument named "colour" is not expected here.`}},
		{"non-literal description", fstest.MapFS{"m/a.tf": {Data: []byte("variable \"x\" {\n  description = var.y\n}\n")}}, []string{`m/a.tf:2: Variables not allowed: Variables may not be used here.`}},
		{"hidden and underscore skipped", fstest.MapFS{".git/a.tf": {Data: []byte("{")}, "_x/a.tf": {Data: []byte("{")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, _ := Load(tt.fs)
			var got []string
			for _, d := range cat.Diagnostics {
				got = append(got, d.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadTypelessVariableIsAnyAndRequired(t *testing.T) {
	cat, err := Load(fstest.MapFS{"m/a.tf": {Data: []byte("variable \"x\" {}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	in := cat.Modules[0].Inputs[0]
	if in.TypeExpr != "any" || in.Type != cty.DynamicPseudoType || !in.Required || !in.Nullable {
		t.Errorf("got %+v", summarize(in))
	}
}

func TestDiagnosticsAsError(t *testing.T) {
	var none Diagnostics
	if none.Err() != nil {
		t.Error("empty Diagnostics.Err() != nil")
	}
	ds := Diagnostics{{File: "m/a.tf", Line: 3, Message: "bad"}, {File: "m", Message: "worse"}}
	if got, want := ds.Error(), "m/a.tf:3: bad\nm: worse"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestFirstParagraph(t *testing.T) {
	tests := []struct{ in, want string }{
		{"# t\n\nOne\ntwo.\n\nThree.", "One two."},
		{"One.", "One."},
		{"# only heading\n", ""},
		{"[![badge](x)](y)\n# t\r\n\r\nWindows\r\nlines.\r\n", "Windows lines."},
		{"Para\n## heading", "Para"},
	}
	for _, tt := range tests {
		if got := firstParagraph(tt.in); got != tt.want {
			t.Errorf("firstParagraph(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
