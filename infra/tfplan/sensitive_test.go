package tfplan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSummaryHoldsNoSensitiveValue: plan JSON holds sensitive values in
// clear, marked only by before_sensitive/after_sensitive (and root
// variables by the configuration's sensitive flag). No value so marked, in
// any fixture, reaches the summary or its text.
func TestSummaryHoldsNoSensitiveValue(t *testing.T) {
	files, err := filepath.Glob("testdata/*_plan.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no plan fixtures (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			secrets := sensitiveStrings(t, data)
			s, err := Summarize(data)
			if err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			shown := string(js) + "\n" + Text(s, -1)
			for _, v := range secrets {
				// A short value may be part of an address by chance
				// (tfjson_120's variable "bar" and null_resource.bar).
				if len(v) >= 6 && strings.Contains(shown, v) {
					t.Errorf("summary shows sensitive value %q:\n%s", v, shown)
				}
			}
		})
	}
}

// TestSensitiveStringsFindsEveryMark keeps the test above honest: on the
// hand-made fixture, every value marked sensitive is found, and none that
// is not.
func TestSensitiveStringsFindsEveryMark(t *testing.T) {
	data, err := os.ReadFile("testdata/handmade_sensitive_plan.json")
	if err != nil {
		t.Fatal(err)
	}
	got := sensitiveStrings(t, data)
	slices.Sort(got)
	want := []string{
		`[{"environment":[{"name":"TOKEN","value":"after-value-hunter2"}]}]`,
		`[{"environment":[{"name":"TOKEN","value":"before-value-hunter2"}]}]`,
		"created-value-hunter2",
		"drift-after-hunter2",
		"drift-before-hunter2",
		"list-value-hunter2",
		"output-value-hunter2",
		"replaced-after-hunter2",
		"replaced-before-hunter2",
		"tag-after-hunter2",
		"tag-before-hunter2",
		"variable-value-hunter2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sensitive strings (-want +got):\n%s", diff)
	}
}

// sensitiveStrings returns every string in plan JSON that Terraform marks
// sensitive: in resource changes, drift and output changes by their
// before_sensitive/after_sensitive, and root variables declared sensitive.
func sensitiveStrings(t *testing.T, data []byte) []string {
	t.Helper()
	var plan struct {
		ResourceChanges []struct{ Change map[string]json.RawMessage } `json:"resource_changes"`
		ResourceDrift   []struct{ Change map[string]json.RawMessage } `json:"resource_drift"`
		OutputChanges   map[string]map[string]json.RawMessage         `json:"output_changes"`
		Variables       map[string]struct{ Value any }                `json:"variables"`
		Configuration   struct {
			RootModule struct {
				Variables map[string]struct{ Sensitive bool } `json:"variables"`
			} `json:"root_module"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(data, &plan); err != nil {
		t.Fatal(err)
	}
	var out []string
	change := func(c map[string]json.RawMessage) {
		for _, side := range []string{"before", "after"} {
			var v, marks any
			_ = json.Unmarshal(c[side], &v)
			_ = json.Unmarshal(c[side+"_sensitive"], &marks)
			out = append(out, marked(v, marks)...)
		}
	}
	for _, rc := range plan.ResourceChanges {
		change(rc.Change)
	}
	for _, rc := range plan.ResourceDrift {
		change(rc.Change)
	}
	for _, oc := range plan.OutputChanges {
		change(oc)
	}
	for name, v := range plan.Variables {
		if plan.Configuration.RootModule.Variables[name].Sensitive {
			out = append(out, marked(v.Value, true)...)
		}
	}
	return out
}

// marked returns the strings of v that marks (a sensitive-values tree: true,
// or an object or array of the same shape as v) covers.
func marked(v, marks any) []string {
	if marks == true {
		return leaves(v)
	}
	var out []string
	switch m := marks.(type) {
	case map[string]any:
		obj, _ := v.(map[string]any)
		for k, sub := range m {
			out = append(out, marked(obj[k], sub)...)
		}
	case []any:
		arr, _ := v.([]any)
		for i, sub := range m {
			if i < len(arr) {
				out = append(out, marked(arr[i], sub)...)
			}
		}
	}
	return out
}

// leaves returns every string leaf of v.
func leaves(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, leaves(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return nil
}
