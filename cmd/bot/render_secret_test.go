package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/registry"
)

// TestRenderRefusesPlainSecret: bot render writes a sensitive input's
// value to the file for git, so it takes only a secret's ARN, and its
// refusal does not repeat what was given.
func TestRenderRefusesPlainSecret(t *testing.T) {
	root := t.TempDir()
	if err := os.Symlink(mustAbs(t, "../../registry/testdata/catalog"), filepath.Join(root, "modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "envs", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"render", "--root", root, "--module", "widget", "--env", "dev", "--project", "payments",
		"--request-id", rid, "--set", "name=orders"}

	code, out, errOut := runCmdForTest(t, append(args, "--set", "passwordArn=hunter2")...)
	if code != 1 || !strings.Contains(errOut, "password_arn: "+registry.SecretRefReason) {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	if strings.Contains(out+errOut, "hunter2") {
		t.Errorf("the plain secret is repeated:\n%s%s", out, errOut)
	}

	const ref = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf"
	code, out, errOut = runCmdForTest(t, append(args, "--set", "password_arn="+ref)...)
	if code != 0 || !strings.Contains(out, `password_arn = "`+ref+`"`) {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
