package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func runBot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runBotStdin(t, "", args...)
}

// runBotStdin is runBot with stdin.
func runBotStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environ{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestSummarizeCommand(t *testing.T) {
	plan := filepath.Join("..", "..", "infra", "tfplan", "testdata", "tf157_mixed_plan.json")
	notPlan := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(notPlan, []byte(`{"version":4,"resources":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runBot(t, "summarize", plan)
	if code != 0 || !strings.Contains(out, "Plan: 2 to create, 1 to update, 1 to replace, 1 to destroy.") {
		t.Errorf("summarize: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, out, _ = runBot(t, "summarize", plan, "--json")
	if code != 0 {
		t.Fatalf("summarize --json: exit %d", code)
	}
	var got struct {
		Counts    map[string]int `json:"counts"`
		Addresses []struct{ Address, Action string }
		Drift     []any
		Errored   bool
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if got.Counts["replace"] != 1 || got.Counts["create"] != 2 || len(got.Addresses) != 5 || got.Drift == nil || got.Errored {
		t.Errorf("--json = %+v", got)
	}

	code, _, errOut = runBot(t, "summarize", notPlan)
	if code != 1 || !strings.Contains(errOut, "not a Terraform plan") {
		t.Errorf("non-plan: code %d, stderr %q; want exit 1 and a clear message", code, errOut)
	}
	code, _, _ = runBot(t, "summarize")
	if code != 2 {
		t.Errorf("no argument: code %d, want 2", code)
	}
	code, _, _ = runBot(t, "summarize", "--bogus", plan)
	if code != 2 {
		t.Errorf("unknown flag: code %d, want 2", code)
	}
}

// TestSummarizeExitStatus: an ERRORED plan is summarised and exits 3, so a
// script cannot mistake it for a plan to apply; - reads standard input.
func TestSummarizeExitStatus(t *testing.T) {
	testdata := filepath.Join("..", "..", "infra", "tfplan", "testdata")
	errored := filepath.Join(testdata, "tf1114_errored_plan.json")
	mixed, err := os.ReadFile(filepath.Join(testdata, "tf157_mixed_plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	erroredJSON, err := os.ReadFile(errored)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string // a line of stdout
		wantErr  string // a line of stderr ("": stderr is empty)
	}{
		{"errored plan", "", []string{"summarize", errored}, 3, "The plan ERRORED: it cannot be applied. See the plan output.", ""},
		{"errored plan as JSON", "", []string{"summarize", "--json", errored}, 3, `  "errored": true`, ""},
		{"plan on stdin", string(mixed), []string{"summarize", "-"}, 0, "Plan: 2 to create, 1 to update, 1 to replace, 1 to destroy.", ""},
		{"errored plan on stdin", string(erroredJSON), []string{"summarize", "-", "--json"}, 3, `  "errored": true`, ""},
		{"not a plan on stdin", `{"version":4}`, []string{"summarize", "-"}, 1, "", "bot summarize: standard input: not a Terraform plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runBotStdin(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			if tt.wantOut != "" && !slices.Contains(strings.Split(out, "\n"), tt.wantOut) {
				t.Errorf("stdout lacks the line %q:\n%s", tt.wantOut, out)
			}
			if tt.wantErr == "" && errOut != "" || !strings.HasPrefix(errOut, tt.wantErr) {
				t.Errorf("stderr = %q, want it to start with %q", errOut, tt.wantErr)
			}
		})
	}
}

// TestSummarizeHostilePlan: `bot summarize` of a forged plan prints no
// control character, in text or JSON, and counts the changes whose actions
// it does not know.
func TestSummarizeHostilePlan(t *testing.T) {
	plan := filepath.Join("..", "..", "infra", "tfplan", "testdata", "handmade_hostile_plan.json")
	code, out, errOut := runBot(t, "summarize", "--max", "-1", plan)
	if code != 0 || !strings.Contains(out, "2 with an unknown action.\n") || !strings.Contains(out, "  ? terraform_data.future (unknown: frobnicate)\n") {
		t.Errorf("summarize: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x9b || r == 0x202e }) {
		t.Errorf("text output keeps a control character: %q", out)
	}
	code, out, _ = runBot(t, "summarize", "--json", plan)
	var got struct {
		Counts    map[string]int `json:"counts"`
		Addresses []struct{ Address, Action string }
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if got.Counts["unknown"] != 2 || len(got.Addresses) != 10 || got.Addresses[0].Address != `terraform_data.clear\x1b[2J\x1b[H` {
		t.Errorf("--json = %+v", got)
	}
}
