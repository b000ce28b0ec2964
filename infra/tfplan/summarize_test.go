package tfplan

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tfpilot/tfpilot/flow"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSummarizeGolden summarises every real plan in testdata and compares the
// JSON summary and the text rendering with the golden files.
func TestSummarizeGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*_plan.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("want the plan fixtures in testdata, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Summarize(data)
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			js, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := string(js) + "\n---\n" + Text(s, 5)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./infra/tfplan -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSummarizeCounts pins the numbers that matter on the real fixtures, so a
// regenerated golden file cannot hide a counting bug.
func TestSummarizeCounts(t *testing.T) {
	tests := []struct {
		file string
		want flow.PlanSummary
	}{
		{"tf157_mixed_plan.json", flow.PlanSummary{Create: 2, Update: 1, Replace: 1, Delete: 1, NoOp: 4}},
		{"tfjson_action_reason_plan.json", flow.PlanSummary{Replace: 1}},
		{"tfjson_basic_plan.json", flow.PlanSummary{Create: 7, Read: 1}},
		{"tfjson_no_changes_plan.json", flow.PlanSummary{NoOp: 6}},
		{"tf1114_errored_plan.json", flow.PlanSummary{Create: 1, Errored: true}},
		{"handmade_drift_plan.json", flow.PlanSummary{Create: 2, Update: 1, Replace: 1, Delete: 1, NoOp: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Summarize(data)
			if err != nil {
				t.Fatal(err)
			}
			got.Resources, got.Drift, got.ModuleDigests = nil, nil, nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarizeDriftAndReplaceAddresses(t *testing.T) {
	data, err := os.ReadFile("testdata/handmade_drift_plan.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []flow.ResourceChange{
		{Address: "terraform_data.gone", Action: "delete"},
		{Address: "terraform_data.new", Action: "create"},
		{Address: "terraform_data.rep", Action: "replace"},
		{Address: "terraform_data.upd", Action: "update"},
		{Address: "terraform_data.usesread", Action: "create"},
	}
	if diff := cmp.Diff(want, s.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	wantDrift := []flow.ResourceChange{
		{Address: "terraform_data.upd", Action: "update"},
		{Address: "terraform_data.gone", Action: "delete"},
	}
	if diff := cmp.Diff(wantDrift, s.Drift); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}

// TestSummarizeHostilePlan: addresses from a forged plan reach people with
// their control characters escaped, and changes with actions the summariser
// does not know are counted and listed as such, not dropped as no-ops.
func TestSummarizeHostilePlan(t *testing.T) {
	data, err := os.ReadFile("testdata/handmade_hostile_plan.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(data)
	if err != nil {
		t.Fatal(err)
	}
	want := flow.PlanSummary{
		Create: 4, Update: 1, Delete: 2, Forget: 1, Unknown: 2,
		Resources: []flow.ResourceChange{
			{Address: `terraform_data.clear\x1b[2J\x1b[H`, Action: "create"},
			{Address: `terraform_data.title\x1b]0;approved\x07`, Action: "update"},
			{Address: `terraform_data.\u202egnp.exe`, Action: "delete"},
			{Address: `terraform_data.isolate\u2066x\u2069`, Action: "create"},
			{Address: `terraform_data.c1\x9b2J`, Action: "create"},
			{Address: `terraform_data.line\x0aterraform_data.fake`, Action: "create"},
			{Address: "terraform_data.future", Action: "unknown: frobnicate"},
			{Address: "terraform_data.mixed", Action: `unknown: create,teleport\x1b[31m`},
			{Address: "terraform_data.forgotten", Action: "forget"},
			{Address: `terraform_data.deposed (deposed dep\x1b[2J)`, Action: "delete"},
		},
		Drift: []flow.ResourceChange{
			{Address: `terraform_data.drift\x1b[2J`, Action: "update"},
			{Address: "terraform_data.drift_future", Action: "unknown: frobnicate"},
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	text := Text(s, -1)
	for _, line := range []string{
		"Plan: 4 to create, 1 to update, 2 to destroy, 1 to forget, 2 with an unknown action.",
		"  ? terraform_data.future (unknown: frobnicate)",
		`  ? terraform_data.mixed (unknown: create,teleport\x1b[31m)`,
		"  ? terraform_data.drift_future (unknown: frobnicate)",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("Text lacks the line %q:\n%s", line, text)
		}
	}
	if strings.ContainsAny(text, "\x1b\x07\u009b\u202e\u2066") {
		t.Errorf("Text keeps a control character:\n%q", text)
	}
}

// TestTextEscapesAddresses: a summary made elsewhere (a local preview, a
// stored record) is made printable when rendered too.
func TestTextEscapesAddresses(t *testing.T) {
	s := flow.PlanSummary{Create: 1, Resources: []flow.ResourceChange{{Address: "a.b\x1b[2J\u202e", Action: ActionCreate}}}
	want := "Plan: 1 to create.\n  + a.b\\x1b[2J\\u202e\n"
	if diff := cmp.Diff(want, Text(s, -1)); diff != "" {
		t.Errorf("Text (-want +got):\n%s", diff)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		actions tfjson.Actions
		want    string
	}{
		{tfjson.Actions{tfjson.ActionNoop}, ActionNoOp},
		{tfjson.Actions{tfjson.ActionCreate}, ActionCreate},
		{tfjson.Actions{tfjson.ActionRead}, ActionRead},
		{tfjson.Actions{tfjson.ActionUpdate}, ActionUpdate},
		{tfjson.Actions{tfjson.ActionDelete}, ActionDelete},
		{tfjson.Actions{tfjson.ActionDelete, tfjson.ActionCreate}, ActionReplace},
		{tfjson.Actions{tfjson.ActionCreate, tfjson.ActionDelete}, ActionReplace},
		{tfjson.Actions{tfjson.ActionCreate, tfjson.ActionForget}, ActionReplace},
		{tfjson.Actions{tfjson.ActionForget}, ActionForget},
		{tfjson.Actions{"frobnicate"}, ActionUnknown},
		{tfjson.Actions{tfjson.ActionCreate, "teleport"}, ActionUnknown},
		{tfjson.Actions{tfjson.ActionNoop, "frobnicate"}, ActionUnknown},
	}
	for _, tt := range tests {
		if got := Classify(tt.actions); got != tt.want {
			t.Errorf("Classify(%v) = %q, want %q", tt.actions, got, tt.want)
		}
	}
}

func TestSummarizeRejectsNonPlans(t *testing.T) {
	tests := map[string]string{
		"not json":       "hello",
		"empty object":   "{}",
		"state file":     `{"version": 4, "terraform_version": "1.5.7", "resources": []}`,
		"future major":   `{"format_version": "2.0"}`,
		"wrong type":     `[1, 2, 3]`,
		"truncated plan": `{"format_version": "1.2", "resource_changes": [`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Summarize([]byte(in))
			if err == nil {
				t.Fatal("Summarize accepted a non-plan")
			}
			if name != "future major" && !errors.Is(err, ErrNotPlan) {
				t.Errorf("error %q does not wrap ErrNotPlan", err)
			}
		})
	}
}

func TestTextTruncates(t *testing.T) {
	var s flow.PlanSummary
	for i := 0; i < 40; i++ {
		s.Create++
		s.Resources = append(s.Resources, flow.ResourceChange{Address: "aws_s3_bucket.b" + string(rune('a'+i%26)), Action: ActionCreate})
	}
	got := Text(s, 10)
	if !strings.Contains(got, "…and 30 more") {
		t.Errorf("Text(40 resources, 10) = %q, want an '…and 30 more' line", got)
	}
	if n := strings.Count(got, "+ aws_s3_bucket"); n != 10 {
		t.Errorf("listed %d addresses, want 10", n)
	}
}

func FuzzSummarize(f *testing.F) {
	files, _ := filepath.Glob("testdata/*_plan.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["delete","create"]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Summarize(data)
		if err != nil {
			return
		}
		n := s.Create + s.Update + s.Replace + s.Delete + s.Read + s.Forget + s.Import + s.Unknown
		if n != len(s.Resources) {
			t.Errorf("counts %d != listed resources %d", n, len(s.Resources))
		}
		text := Text(s, -1)
		if strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 && r != '\n' }) {
			t.Errorf("Text keeps a control character: %q", text)
		}
	})
}
