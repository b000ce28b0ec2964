package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/local"
	"github.com/tfpilot/tfpilot/registry"
)

// buildBot compiles the bot binary for subprocess tests.
func buildBot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "bot")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runLocalScript pipes a script into `bot local --data data` started from
// the repository root, as a person would run it, and returns its output.
func runLocalScript(t *testing.T, bin, data, script string) string {
	t.Helper()
	cmd := exec.Command(bin, "local", "--data", data, "--user", "alice")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "TFPILOT_CONFIG=") })
	if err := cmd.Run(); err != nil {
		t.Fatalf("bot local: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

// gitOut runs git in dir.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// step is one state-changing audit record, as the test compares them.
type step struct {
	Event    string
	From, To flow.State
	Actor    string
}

// localRun is what the test compares of a local run's record.
type localRun struct {
	Workflow  flow.Workflow  `json:"workflow"`
	RequestID string         `json:"request_id"`
	Status    flow.RunStatus `json:"status"`
}

// readRun reads run n's record from the data folder.
func readRun(t *testing.T, data, n string) localRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "runs", n, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r localRun
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("run %s: %v", n, err)
	}
	return r
}

func TestLocalModeScript(t *testing.T) {
	bin := buildBot(t)
	data := t.TempDir()
	script, err := os.ReadFile(filepath.Join("testdata", "local_script.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := runLocalScript(t, bin, data, string(script))
	if t.Failed() {
		return
	}
	for _, want := range []string{
		"You are alice.",
		"refused: you cannot approve your own request in prod; ask another approver",
		"Static preview — not a Terraform plan (run with --plan=terraform for a real plan)",
		"Pull request merged.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}

	// Request records: all three applied, in order.
	ctx := context.Background()
	store, err := local.NewFileStore(filepath.Join(data, "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reqs, err := store.List(ctx, flow.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Kind        flow.Kind
		Environment string
		State       flow.State
		Requester   string
		Merged      bool
	}
	var got []summary
	for _, r := range reqs {
		got = append(got, summary{r.Kind, r.Environment, r.State, r.Requester.ID, r.Change != nil && r.Change.Merged})
	}
	want := []summary{
		{flow.KindCreate, "dev", flow.Applied, "alice", true},
		{flow.KindCreate, "prod", flow.Applied, "alice", true},
		{flow.KindDestroy, "dev", flow.Applied, "alice", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("requests (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	dev, prod, destroy := reqs[0], reqs[1], reqs[2]
	devFile := "envs/dev/tfpilot_" + registry.Label(dev.ID) + ".tf"
	prodFile := "envs/prod/tfpilot_" + registry.Label(prod.ID) + ".tf"

	// What a person reads: every request by its own label (the destroy
	// request too, saying what it destroys), full cards only when a request
	// appears, when its plan is ready and when someone must act, and one
	// line for the other updates. A local run is finished when it is
	// dispatched, so the engine may show the request already past
	// "planning · plan run 1" or "applying · apply run 2" (it shows a card
	// from the latest record): those lines are not checked; the runs are,
	// on the plan-ready card, in the replies and in the runs' records.
	devLabel, destroyLabel := registry.Label(dev.ID), registry.Label(destroy.ID)
	for _, want := range []string{
		"Plan run (succeeded): " + filepath.Join(data, "runs", "1", "log.txt"),
		"[" + devLabel + "] Applying the approved plan.",
		"[" + devLabel + "] Applied. Merging the pull request.",
		"Request: " + destroyLabel + " | Destroys: " + devLabel + " (" + devFile + ")",
		"[" + destroyLabel + "] Opening a pull request that deletes " + devFile,
		"[notifications] [" + destroyLabel + "] Applied: destroy " + devLabel,
		"[" + devLabel + "] Destroyed by request " + destroyLabel + ".",
		"== Create s3-bucket in dev ==\nDestroyed by request " + destroyLabel + "\nRequest: " + devLabel + " | Destroyed by: " + destroyLabel,
		"  nosuch: unknown input; inputs are: name, versioning_enabled, kms_key_arn, expiration_days, force_destroy, tags\nNothing was created",
		`project "nosuchproject" is not configured; choose one of local`,
		devLabel + " · Create s3-bucket in dev · destroyed by " + destroyLabel + " · alice",
		destroyLabel + " · Destroy " + devLabel + " (s3-bucket) in dev · applied · alice",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
	for n, want := range map[string]localRun{"1": {flow.WorkflowPlan, dev.ID, flow.RunSucceeded}, "2": {flow.WorkflowApply, dev.ID, flow.RunSucceeded}} {
		if diff := cmp.Diff(want, readRun(t, data, n)); diff != "" {
			t.Errorf("run %s (-want +got):\n%s", n, diff)
		}
	}
	for title, n := range map[string]int{
		"== Create s3-bucket in dev ==":                     3, // review, plan ready, status after its destroy
		"== Create s3-bucket in prod ==":                    3, // review, plan ready, approved
		"== Destroy " + devLabel + " (s3-bucket) in dev ==": 2, // appears, plan ready
	} {
		if got := strings.Count(out, title); got != n {
			t.Errorf("%s shown %d times, want %d; output:\n%s", title, got, n, out)
		}
	}
	if strings.Contains(out, "[notifications] ["+devLabel+"] Applied: destroy") {
		t.Errorf("the destroy request's notification is labelled with its target's label")
	}

	// Git history: three merge commits, one per request, branches deleted;
	// the prod file present, the destroyed dev file gone.
	repo := filepath.Join(data, "repo")
	merges := strings.Split(gitOut(t, repo, "log", "--merges", "--reverse", "--format=%s", "main"), "\n")
	wantMerges := []string{
		"Merge local PR #1 from tfpilot/" + dev.ID,
		"Merge local PR #2 from tfpilot/" + prod.ID,
		"Merge local PR #3 from tfpilot/" + destroy.ID,
	}
	if diff := cmp.Diff(wantMerges, merges); diff != "" {
		t.Errorf("merge commits (-want +got):\n%s", diff)
	}
	if b := gitOut(t, repo, "branch", "--list", "tfpilot/*"); b != "" {
		t.Errorf("branches left after merging: %q", b)
	}
	files := gitOut(t, repo, "ls-tree", "-r", "--name-only", "main", "envs")
	if !strings.Contains(files, prodFile) || strings.Contains(files, devFile) {
		t.Errorf("envs/ on main: want %s and not %s; have:\n%s", prodFile, devFile, files)
	}
	if added := gitOut(t, repo, "log", "--format=%s", "--diff-filter=A", "main", "--", devFile); !strings.Contains(added, "s3-bucket in dev") {
		t.Errorf("no commit added %s: %q", devFile, added)
	}
	if st := gitOut(t, repo, "status", "--porcelain"); st != "" {
		t.Errorf("working tree of the environment repository is not clean:\n%s", st)
	}

	// Audit: every state change of every request, and the refused approval,
	// under DATA/audit/<yyyy>/ (not DATA/audit/audit/).
	if _, err := os.Stat(filepath.Join(data, "audit", "audit")); !os.IsNotExist(err) {
		t.Errorf("%s exists (err %v); the audit log belongs in DATA/audit/", filepath.Join(data, "audit", "audit"), err)
	}
	audit, err := local.NewFileAudit(data)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	createSteps := func(approval []step) []step {
		s := []step{
			{"start", 0, flow.CollectingInputs, "alice"},
			{"set_inputs", flow.CollectingInputs, flow.Confirming, "alice"},
			{"confirm", flow.Confirming, flow.OpeningPR, "alice"},
			{"change_opened", flow.OpeningPR, flow.Planning, "tfpilot"},
		}
		s = append(s, approval...)
		return append(s, step{"apply_finished", flow.Applying, flow.Applied, "tfpilot"})
	}
	tests := []struct {
		name   string
		id     string
		steps  []step
		denied []step
	}{
		{"dev", dev.ID, createSteps([]step{
			{"plan_finished", flow.Planning, flow.Approved, "tfpilot"},
			{"apply", flow.Approved, flow.Applying, "alice"},
		}), nil},
		{"prod", prod.ID, createSteps([]step{
			{"plan_finished", flow.Planning, flow.AwaitingApproval, "tfpilot"},
			{"approve", flow.AwaitingApproval, flow.Approved, "bob"},
			{"apply", flow.Approved, flow.Applying, "bob"},
		}), []step{{"approve", flow.AwaitingApproval, flow.AwaitingApproval, "alice"}}},
		{"destroy", destroy.ID, []step{
			{"start_destroy", 0, flow.OpeningPR, "alice"},
			{"change_opened", flow.OpeningPR, flow.Planning, "tfpilot"},
			{"plan_finished", flow.Planning, flow.Approved, "tfpilot"},
			{"apply", flow.Approved, flow.Applying, "alice"},
			{"apply_finished", flow.Applying, flow.Applied, "tfpilot"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run("audit "+tt.name, func(t *testing.T) {
			recs, err := audit.Records(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			var steps, denied []step
			for _, r := range recs {
				s := step{r.Event, r.From, r.To, r.Actor.ID}
				switch {
				case r.Denied:
					denied = append(denied, s)
				case r.From != r.To:
					steps = append(steps, s)
				}
			}
			if diff := cmp.Diff(tt.steps, steps); diff != "" {
				t.Errorf("state changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.denied, denied); diff != "" {
				t.Errorf("denials (-want +got):\n%s", diff)
			}
		})
	}

	// A later run with the same data continues: same repository, the next
	// pull request number, the earlier requests still listed.
	out = runLocalScript(t, bin, data, "/tfpilot new sqs-queue env=dev name=jobs\n1\n/tfpilot list all\n")
	for _, want := range []string{"local PR #4", "Create sqs-queue in dev · approved", "Create s3-bucket in prod · applied"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run's output lacks %q; output:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Created the environment repository") {
		t.Errorf("second run created the repository again")
	}
}

func TestDefaultUser(t *testing.T) {
	env := func(user string) *environ {
		return &environ{getenv: func(k string) string {
			if k == "USER" {
				return user
			}
			return ""
		}}
	}
	if got := defaultUser(env("carol")); got != "carol" {
		t.Errorf("defaultUser with USER=carol = %q", got)
	}
	want := currentUsername()
	if want == "" || strings.ContainsAny(want, " /") {
		want = "you"
	}
	if got := defaultUser(env("")); got != want {
		t.Errorf("defaultUser without USER = %q, want the login name %q (or \"you\")", got, want)
	}
	if got := defaultUser(env("not a name")); got == "not a name" {
		t.Errorf("defaultUser took a USER that /as would refuse: %q", got)
	}
}
