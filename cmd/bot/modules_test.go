package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runCmdForTest runs bot with args against buffers and returns exit code, stdout, stderr.
func runCmdForTest(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &environ{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return code, stdout.String(), stderr.String()
}

func TestModulesTable(t *testing.T) {
	code, out, errOut := runCmdForTest(t, "modules", "--modules", "../../modules")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"s3-bucket", "sqs-queue", "ecs-service", "iam-role-app", "visibility_timeout_seconds", "[ecs-tasks, lambda, ec2]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "  request_id ") {
		t.Errorf("table lists a system input:\n%s", out)
	}
}

func TestModulesJSON(t *testing.T) {
	code, out, _ := runCmdForTest(t, "modules", "--json", "--modules", "../../registry/testdata/catalog")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got catalogJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Modules) != 2 || got.Modules[0].Name != "plain" || got.Modules[1].Name != "widget" {
		t.Fatalf("modules = %+v", got.Modules)
	}
	byName := map[string]inputJSON{}
	for _, in := range got.Modules[1].Inputs {
		byName[in.Name] = in
	}
	if in := byName["visibility_timeout_seconds"]; in.Type != "number" || in.Required || string(in.Default) != "30" {
		t.Errorf("visibility_timeout_seconds = %+v", in)
	}
	if in := byName["mode"]; strings.Join(in.Options, ",") != "standard,priority,bulk" || string(in.Default) != `"standard"` {
		t.Errorf("mode = %+v", in)
	}
	if in := byName["name"]; !in.Required || string(in.Default) != "null" {
		t.Errorf("name = %+v", in)
	}
	if in := byName["password_arn"]; !in.Sensitive {
		t.Errorf("password = %+v", in)
	}
	if in := byName["project"]; !in.System {
		t.Errorf("project = %+v", in)
	}
	// Stable: the same catalogue prints the same bytes.
	_, again, _ := runCmdForTest(t, "modules", "--json", "--modules", "../../registry/testdata/catalog")
	if again != out {
		t.Error("JSON output differs between runs")
	}
}

func TestModulesBrokenStillListsTheOthers(t *testing.T) {
	code, out, errOut := runCmdForTest(t, "modules", "--modules", "../../registry/testdata/broken")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out, "good") {
		t.Errorf("healthy module not listed:\n%s", out)
	}
	if !strings.Contains(errOut, "badfunc/variables.tf:5: validation uses function cidrhost()") {
		t.Errorf("stderr lacks the diagnostic:\n%s", errOut)
	}
}

// TestModuleFolderProblems: a --modules folder that is missing, a file or
// empty is named as given, with what a module folder holds, and exits 1.
func TestModuleFolderProblems(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent")
	empty := filepath.Join(dir, "empty")
	file := filepath.Join(dir, "file")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Code           int
		Stdout, Stderr string // Stderr: its first line
	}
	tests := []struct {
		name string
		args []string
		want string // the first line of stderr
	}{
		{"modules: missing", []string{"modules", "--modules", missing}, "bot modules: module folder " + missing + " does not exist; " + moduleHint},
		{"modules: a file", []string{"modules", "--modules", file}, "bot modules: module folder " + file + " is a file, not a folder; " + moduleHint},
		{"modules: empty", []string{"modules", "--modules", empty}, "bot modules: module folder " + empty + " has no modules; " + moduleHint},
		{"modules --json: empty", []string{"modules", "--json", "--modules", empty}, "bot modules: module folder " + empty + " has no modules; " + moduleHint},
		{"check: missing", []string{"check", "--modules", missing}, "bot check: module folder " + missing + " does not exist; " + moduleHint},
		{"check: empty", []string{"check", "--modules", empty}, empty + ": no module folders found; " + moduleHint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmdForTest(t, tt.args...)
			got := result{code, out, strings.SplitN(errOut, "\n", 2)[0]}
			if diff := cmp.Diff(result{1, "", tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s\nstderr:\n%s", diff, errOut)
			}
		})
	}
}

func TestModulesUsage(t *testing.T) {
	if code, _, errOut := runCmdForTest(t, "modules", "--nope"); code != 2 || !strings.Contains(errOut, "flag provided but not defined: -nope") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmdForTest(t, "modules", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCmdForTest(t, "modules", "-h"); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
}
