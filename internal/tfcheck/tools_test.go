package tfcheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// lookTool finds a tool in the repository's .bin (where `make tools` installs the
// pinned version) or else on PATH. A missing tool fails the test in CI and skips it
// loudly elsewhere, so a laptop without the tools still runs the other tests.
func lookTool(t *testing.T, root, name string) string {
	t.Helper()
	if path, err := exec.LookPath(filepath.Join(root, ".bin", name)); err == nil {
		return path
	}
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found on PATH or in .bin/: CI must install it (run `make tools`)", name)
	}
	t.Skipf("SKIPPED: %s not found on PATH or in .bin/. Run `make tools` to install the pinned version; CI fails without it.", name)
	return ""
}

// runTool runs a tool in the repository root and fails the test with its output
// when it exits non-zero.
func runTool(t *testing.T, root string, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
	}
}

func TestTerraformFmt(t *testing.T) {
	root := repoRoot(t)
	terraform := lookTool(t, root, "terraform")
	// An empty CLI configuration keeps a developer's ~/.terraformrc (or a
	// TF_CLI_CONFIG_FILE pointing at a missing file) out of the result.
	cliConfig := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=" + cliConfig}
	for _, dir := range terraformDirs {
		runTool(t, root, env, terraform, "fmt", "-check", "-recursive", "-diff", dir)
	}
}

func TestWorkflowsActionlint(t *testing.T) {
	root := repoRoot(t)
	actionlint := lookTool(t, root, "actionlint")
	runTool(t, root, nil, actionlint)
}
