package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runBot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environ{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
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
