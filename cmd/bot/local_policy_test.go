package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/local"
)

// localWith pipes script into `bot local --data data args...` started from
// the repository root and returns its stdout, stderr and exit error.
func localWith(t *testing.T, bin, data, script string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"local", "--data", data}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "TFPILOT_CONFIG=") })
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestLocalModeWithPolicyFile: `bot local --config` runs the policy file
// bot serve reads, people named by Slack IDs and /as switching between
// them: self-approval is off unless the file turns it on, only an applier
// applies, and start-up refuses what serve refuses.
func TestLocalModeWithPolicyFile(t *testing.T) {
	bin := buildBot(t)
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("policy.yaml", `projects:
  - {name: platform, repo: acme/infra-live}
environments:
  - name: live
    requesters: [U0ALICE, U0BOB]
    approvers: [U0ALICE, U0BOB]
    appliers: [U0BOB]
  - name: sandbox
    requesters: ["*"]
    approvals_required: 0
`)
	script := strings.Join([]string{
		"/tfpilot new s3-bucket env=live name=logs",
		"1",
		"/tfpilot approve last", // alice's own request: refused
		"/as U0CAROL",
		"/tfpilot new s3-bucket env=live name=other", // not a requester
		"/as U0BOB",
		"/tfpilot approve last",
		"/as U0ALICE",
		"/tfpilot apply last", // alice is not an applier
		"/as U0BOB",
		"/tfpilot apply last",
	}, "\n") + "\n"
	data := t.TempDir()
	out, errOut, err := localWith(t, bin, data, script, "--config", good, "--user", "U0ALICE")
	if err != nil {
		t.Fatalf("bot local: %v\nstderr:\n%s\nstdout:\n%s", err, errOut, out)
	}
	for _, want := range []string{
		"warning: environment sandbox: approvals_required is 0, so its plans are applied without anyone's approval",
		"Policy " + good + ": every project (platform) uses the local repository.",
		"You are U0ALICE.",
		"refused: you cannot approve your own request in live; ask another approver",
		"you are not allowed to request changes in live",
		"refused: you are not allowed to apply in live",
		"Pull request merged.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
	store, err := local.NewFileStore(filepath.Join(data, "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reqs, err := store.List(context.Background(), flow.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reqs {
		got = append(got, r.Project+"/"+r.Environment+" "+r.State.String()+" by "+r.Requester.ID+" approved by "+strings.Join(flow.CurrentApprovers(r), ","))
	}
	if diff := cmp.Diff([]string{"platform/live applied by U0ALICE approved by U0BOB"}, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s\noutput:\n%s", diff, out)
	}

	// Start-up refuses an environment name the modules cannot take.
	bad := write("long.yaml", "projects:\n  - {name: platform, repo: acme/infra-live}\nenvironments:\n  - name: production-eu\n    requesters: [\"*\"]\n    approvers: [U0BOB]\n")
	out, errOut, err = localWith(t, bin, t.TempDir(), "", "--config", bad, "--user", "U0ALICE")
	if err == nil {
		t.Fatalf("bot local started with production-eu; stdout:\n%s", out)
	}
	if want := bad + `:4: environments[production-eu].name: the modules of project platform cannot take "production-eu"`; !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
}
