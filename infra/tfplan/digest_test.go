package tfplan

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// editPlan decodes the plan fixture name, lets edit change it, and
// summarises the result.
func editPlan(t *testing.T, name string, edit func(changes []map[string]any)) map[string]string {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var plan map[string]any
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.UseNumber()
	if err := d.Decode(&plan); err != nil {
		t.Fatal(err)
	}
	var changes []map[string]any
	for _, c := range plan["resource_changes"].([]any) {
		changes = append(changes, c.(map[string]any))
	}
	edit(changes)
	out, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(out)
	if err != nil {
		t.Fatal(err)
	}
	return s.ModuleDigests
}

// change returns the change block of the resource change at address.
func change(t *testing.T, changes []map[string]any, address string) map[string]any {
	t.Helper()
	for _, c := range changes {
		if c["address"] == address {
			return c["change"].(map[string]any)
		}
	}
	t.Fatalf("no change of %s", address)
	return nil
}

// TestModuleDigests: a module's digest says whether two plans make the
// same changes in it, value for value — a value or an action changed in a
// module changes its digest and no other, and a change outside every
// module, a no-op or a sensitive value changes none.
func TestModuleDigests(t *testing.T) {
	const fixture = "handmade_sensitive_plan.json"
	const aaaa = "module.tfpilot_00000000aaaa"
	base := editPlan(t, fixture, func([]map[string]any) {})
	if len(base) != 1 || len(base[aaaa]) != 64 {
		t.Fatalf("digests of %s = %v, want one sha256 for %s (nested modules count in their top-level block)", fixture, base, aaaa)
	}
	scope := editPlan(t, "handmade_scope_plan.json", func([]map[string]any) {})
	if len(scope) != 2 || scope["module.tfpilot_00000000aaaa"] == scope["module.tfpilot_00000000bbbb"] {
		t.Errorf("handmade_scope_plan digests = %v, want two that differ", scope)
	}
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, changes []map[string]any)
		same bool
	}{
		{"nothing", func(*testing.T, []map[string]any) {}, true},
		{"a value in the module", func(t *testing.T, cs []map[string]any) {
			change(t, cs, aaaa+`.aws_ssm_parameter.token["api"]`)["after"].(map[string]any)["name"] = "/orders/other"
		}, false},
		{"a value in a nested module", func(t *testing.T, cs []map[string]any) {
			change(t, cs, aaaa+".module.svc.aws_ecs_task_definition.this")["after"].(map[string]any)["family"] = "svc2"
		}, false},
		{"an action", func(t *testing.T, cs []map[string]any) {
			change(t, cs, aaaa+".aws_db_instance.this")["actions"] = []any{"create", "delete"}
		}, false},
		{"what is unknown", func(t *testing.T, cs []map[string]any) {
			change(t, cs, aaaa+`.aws_ssm_parameter.token["api"]`)["after_unknown"] = map[string]any{"arn": true, "name": true}
		}, false},
		{"a sensitive value", func(t *testing.T, cs []map[string]any) {
			change(t, cs, aaaa+`.aws_ssm_parameter.token["api"]`)["after"].(map[string]any)["value"] = "another-secret"
		}, true},
		{"a change outside every module", func(t *testing.T, cs []map[string]any) {
			for _, c := range cs {
				if !strings.HasPrefix(c["address"].(string), "module.") {
					c["change"].(map[string]any)["after"] = map[string]any{"x": "y"}
				}
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := editPlan(t, fixture, func(cs []map[string]any) { tc.edit(t, cs) })
			if same := got[aaaa] == base[aaaa]; same != tc.same {
				t.Errorf("digest same = %v, want %v", same, tc.same)
			}
		})
	}
}

// TestModuleDigestsLeaveOutNoOps: a plan that changes nothing in a module
// has no digest for it, so it never matches a plan that did.
func TestModuleDigestsLeaveOutNoOps(t *testing.T) {
	got := editPlan(t, "handmade_sensitive_plan.json", func(cs []map[string]any) {
		for _, c := range cs {
			c["change"].(map[string]any)["actions"] = []any{"no-op"}
		}
	})
	if len(got) != 0 {
		t.Errorf("digests of a plan of no-ops = %v, want none", got)
	}
}

func TestTopModule(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"module.a":                    "module.a",
		"module.a.module.b":           "module.a",
		`module.a["x.y"].module.b`:    "module.a",
		"module.tfpilot_0123456789ab": "module.tfpilot_0123456789ab",
	} {
		if got := topModule(in); got != want {
			t.Errorf("topModule(%q) = %q, want %q", in, got, want)
		}
	}
}
