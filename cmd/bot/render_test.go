package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testRoot is a repository root with the real modules and an empty envs/dev.
func testRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Symlink(mustAbs(t, "../../modules"), filepath.Join(root, "modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "envs", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const rid = "0190f5e4-8c2a-7b3d-9e4f-123456789abc"

func TestRenderPrintsWithoutWriting(t *testing.T) {
	root := testRoot(t)
	code, out, errOut := runCmdForTest(t, "render", "--root", root, "--module", "sqs-queue", "--env", "dev", "--project", "payments",
		"--request-id", rid, "--requester", "alice", "--created-at", "2025-03-04T05:06:07Z",
		"--set", "name=orders", "--set", "fifoQueue=yes", "--set", "visibility-timeout-seconds=120")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"envs/dev/tfpilot_123456789abc.tf\n\n# Managed by TfPilot",
		"# created_at:  2025-03-04T05:06:07Z",
		`module "tfpilot_123456789abc" {`,
		"fifo_queue                 = true",
		"visibility_timeout_seconds = 120",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "envs", "dev")); len(entries) != 0 {
		t.Errorf("render without --write wrote %d files", len(entries))
	}
}

func TestRenderWriteRefusesToOverwrite(t *testing.T) {
	root := testRoot(t)
	args := []string{"render", "--root", root, "--module", "s3-bucket", "--env", "dev", "--project", "payments",
		"--request-id", rid, "--set", "name=invoices", "--write"}
	code, out, errOut := runCmdForTest(t, args...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	written, err := os.ReadFile(filepath.Join(root, "envs", "dev", "tfpilot_123456789abc.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out, string(written)) {
		t.Errorf("written file differs from the printed one")
	}
	entries, _ := os.ReadDir(filepath.Join(root, "envs", "dev"))
	if len(entries) != 1 {
		t.Errorf("envs/dev holds %d entries, want 1 (no temp files left)", len(entries))
	}
	code, _, errOut = runCmdForTest(t, args...)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("second write: exit %d, stderr %q", code, errOut)
	}
}

func TestRenderProblems(t *testing.T) {
	root := testRoot(t)
	base := []string{"render", "--root", root, "--env", "dev", "--project", "payments", "--request-id", rid}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"one line per problem", append(base, "--module", "sqs-queue", "--set", "visibility_timout_seconds=5", "--set", "delay_seconds=-1"), 1, []string{
			"visibility_timout_seconds: unknown input; did you mean visibility_timeout_seconds?",
			"delay_seconds: ",
			"name: is required",
		}},
		{"unknown module", append(base, "--module", "rds"), 1, []string{`module: unknown module "rds"; modules are: ecs-service, iam-role-app, s3-bucket, sqs-queue`}},
		{"bad project", []string{"render", "--root", root, "--module", "s3-bucket", "--env", "dev", "--project", "Pay", "--set", "name=x"}, 1, []string{`project: "Pay" must be`}},
		{"missing env dir", []string{"render", "--root", root, "--module", "s3-bucket", "--env", "prod", "--project", "pay", "--set", "name=x"}, 1, []string{"environment: prod is not an environment root"}},
		{"bad request id", append(base[:len(base)-2], "--request-id", "nope", "--module", "s3-bucket", "--set", "name=abc"), 1, []string{`request_id: "nope" is not a UUID`}},
		{"system input", append(base, "--module", "s3-bucket", "--set", "name=abc", "--set", "project=x"), 1, []string{"project: is set by TfPilot and cannot be given"}},
		{"same key twice", append(base, "--module", "s3-bucket", "--set", "name=abc", "--set", "name=def"), 1, []string{"name: is given twice"}},
		{"missing --module", base, 2, []string{"--module is required"}},
		{"set without =", append(base, "--module", "s3-bucket", "--set", "name"), 2, []string{`want key=value, got "name"`}},
		{"bad created-at", append(base, "--module", "s3-bucket", "--created-at", "yesterday"), 2, []string{"--created-at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmdForTest(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			if out != "" {
				t.Errorf("stdout not empty on failure:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestRenderRootWithoutModules: a --root that is not the repository root is
// named, rather than listing no modules.
func TestRenderRootWithoutModules(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "envs", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmdForTest(t, "render", "--root", root, "--module", "s3-bucket", "--env", "dev", "--project", "p", "--set", "name=x")
	want := "module: " + filepath.Join(root, "modules") + " has no modules; --root must be the repository root holding modules/ and envs/\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and stderr %q", code, out, errOut, want)
	}
}

func TestRenderDefaultRequestIDIsV7(t *testing.T) {
	code, out, errOut := runCmdForTest(t, "render", "--root", testRoot(t), "--module", "s3-bucket", "--env", "dev", "--project", "payments", "--set", "name=invoices")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	i := strings.Index(out, "request_id:  ")
	if i < 0 || out[i+13+14] != '7' {
		t.Errorf("request ID is not a UUIDv7:\n%s", out)
	}
}
