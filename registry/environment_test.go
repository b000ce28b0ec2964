package registry

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEnvironmentProblems: the real modules' own validation of their
// environment variable decides which environment names a policy may use.
func TestEnvironmentProblems(t *testing.T) {
	cat := loadRealModules(t)
	const rule = "environment must be 2 to 12 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example dev)."
	tests := []struct {
		env     string
		modules []string
		want    []string
	}{
		{"prod", nil, []string{}},
		{"production-1", nil, []string{}},
		{"production-eu", nil, []string{"ecs-service, iam-role-app, s3-bucket, sqs-queue: " + rule}},
		{"production-eu", []string{"s3-bucket"}, []string{"s3-bucket: " + rule}},
		{"9dev", []string{"s3-bucket", "sqs-queue"}, []string{"s3-bucket, sqs-queue: " + rule}},
		{"production-eu", []string{"no-such-module"}, []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, cat.EnvironmentProblems(tt.env, tt.modules)); diff != "" {
			t.Errorf("EnvironmentProblems(%q, %v) (-want +got):\n%s", tt.env, tt.modules, diff)
		}
	}
}
