package registry

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInputKinds: each input of the widget test module gets the kind and
// default text a form needs, so surfaces never look at cty types.
func TestInputKinds(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	type kd struct {
		Kind    InputKind
		Default string
	}
	got := map[string]kd{}
	for _, in := range m.UserInputs() {
		got[in.Name] = kd{in.Kind(), in.DefaultText()}
	}
	want := map[string]kd{
		"name":                       {KindText, ""},
		"fifo":                       {KindBool, "false"},
		"visibility_timeout_seconds": {KindNumber, "30"},
		"mode":                       {KindText, "standard"},
		"subnet_ids":                 {KindList, ""},
		"ports":                      {KindList, ""},
		"tags":                       {KindMap, ""},
		"kms_key_arn":                {KindText, ""},
		"comment":                    {KindText, ""},
		"policy_json":                {KindText, ""},
		"retry":                      {KindMap, ""},
		"password_arn":               {KindText, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds and defaults (-want +got):\n%s", diff)
	}
}
