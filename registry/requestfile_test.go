package registry

import "testing"

// TestRequestFile: only the files Render names match, so a base that moved
// by other paths is never taken for other requests' changes.
func TestRequestFile(t *testing.T) {
	for _, tc := range []struct {
		path       string
		env, label string
	}{
		{"envs/dev/tfpilot_0123456789ab.tf", "dev", "0123456789ab"},
		{"envs/prod-eu/tfpilot_abcdefabcdef.tf", "prod-eu", "abcdefabcdef"},
		{"envs/dev/tfpilot_0123456789ab_override.tf", "", ""},
		{"envs/dev/tfpilot_0123456789AB.tf", "", ""},
		{"envs/dev/tfpilot_0123456789a.tf", "", ""},
		{"envs/dev/tfpilot_0123456789abc.tf", "", ""},
		{"envs/dev/tfpilot_0123456789ag.tf", "", ""},
		{"envs/dev/tfpilot_0123456789ab.tf.json", "", ""},
		{"envs/dev/sub/tfpilot_0123456789ab.tf", "", ""},
		{"envs//tfpilot_0123456789ab.tf", "", ""},
		{"modules/s3/tfpilot_0123456789ab.tf", "", ""},
		{"envs/dev/providers.tf", "", ""},
		{"envs/dev/override.tf", "", ""},
	} {
		env, label, ok := RequestFile(tc.path)
		if env != tc.env || label != tc.label || ok != (tc.env != "") {
			t.Errorf("RequestFile(%q) = %q, %q, %v; want %q, %q", tc.path, env, label, ok, tc.env, tc.label)
		}
	}
	// What Render writes is a request file.
	if _, label, ok := RequestFile("envs/dev/tfpilot_" + Label("0190b3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b") + ".tf"); !ok || label != "2c3d4e5f6a7b" {
		t.Errorf("a rendered file's path is not a request file: %q %v", label, ok)
	}
}
