package tfcheck

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkApplyScript is the check apply.yml runs before it touches AWS.
const checkApplyScript = ".github/scripts/check-apply.sh"

// fakeGH stands in for the gh CLI: `gh api repos/<repo>/actions/runs/<id>`
// prints $FAKE_GH_RUNS/<id>.json as gh prints a response body; a run it
// does not have answers as gh does for a 404 (the error body on stdout, the
// message on stderr, exit 1). Any other call fails loudly, so the script
// cannot call something the test did not expect.
const fakeGH = `#!/usr/bin/env bash
if [ "$#" -ne 2 ] || [ "$1" != api ] || [[ ! "$2" =~ ^repos/$FAKE_GH_REPO/actions/runs/[0-9]+$ ]]; then
  echo "fake gh: unexpected call: gh $*" >&2
  exit 99
fi
f="$FAKE_GH_RUNS/${2##*/}.json"
if [ ! -f "$f" ]; then
  echo '{"message":"Not Found","documentation_url":"https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run","status":"404"}'
  echo "gh: Not Found (HTTP 404)" >&2
  exit 1
fi
cat "$f"
`

// ghUser is a run's actor or triggering_actor as the REST API shows it.
type ghUser struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"`
}

// ghRun is the part of "Get a workflow run"'s answer the check reads, with
// a few fields it must ignore.
type ghRun struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	DisplayTitle    string  `json:"display_title"`
	Path            string  `json:"path"`
	Event           string  `json:"event"`
	HeadBranch      string  `json:"head_branch"`
	HeadSHA         string  `json:"head_sha"`
	Status          string  `json:"status"`
	Conclusion      *string `json:"conclusion"`
	RunAttempt      int     `json:"run_attempt"`
	Actor           ghUser  `json:"actor"`
	TriggeringActor *ghUser `json:"triggering_actor"`
}

const (
	applyRequestID = "5f0c2a1e-8d3b-4c7a-9e61-0a2b3c4d5e6f"
	applyBranch    = "tfpilot/" + applyRequestID
	applySHA       = "3f786850e387550fdab836ed7e6dc881de23001b"
	applyRunID     = 9001
	planRunID      = 8001
)

var (
	tfpilotBot = ghUser{Login: "tfpilot[bot]", ID: 149000001, Type: "Bot"}
	alice      = ghUser{Login: "alice", ID: 5001, Type: "User"}
)

func strp(s string) *string  { return &s }
func userp(u ghUser) *ghUser { return &u }

// dispatchedRuns are the runs of an apply TfPilot dispatched for the plan it
// approved: each case breaks one thing.
func dispatchedRuns() (apply, plan ghRun) {
	apply = ghRun{ID: applyRunID, Name: "tfpilot apply", DisplayTitle: "tfpilot apply " + applyRequestID + " 9-dispatch_apply (prod)",
		Path: ".github/workflows/apply.yml", Event: "workflow_dispatch", HeadBranch: applyBranch, HeadSHA: applySHA,
		Status: "in_progress", RunAttempt: 1, Actor: tfpilotBot, TriggeringActor: userp(tfpilotBot)}
	plan = ghRun{ID: planRunID, Name: "tfpilot plan", DisplayTitle: "tfpilot plan " + applyRequestID + " 4-dispatch_plan (prod)",
		Path: ".github/workflows/plan.yml", Event: "workflow_dispatch", HeadBranch: applyBranch, HeadSHA: applySHA,
		Status: "completed", Conclusion: strp("success"), RunAttempt: 1, Actor: tfpilotBot, TriggeringActor: userp(tfpilotBot)}
	return apply, plan
}

// checkApplyEnv is what apply.yml gives the script for dispatchedRuns.
func checkApplyEnv() map[string]string {
	return map[string]string{
		"REPOSITORY": "acme/infra-live", "RUN_ID": strconv.Itoa(applyRunID), "TF_ENV": "prod",
		"REQUEST_ID": applyRequestID, "PLAN_RUN_ID": strconv.Itoa(planRunID), "PLAN_RUN_ATTEMPT": "1",
		"TFPILOT_ACTOR_ID": strconv.FormatInt(tfpilotBot.ID, 10), "GH_TOKEN": "ghs_fake",
	}
}

// runCheckApply runs the script with the fake gh serving runs (and raw
// answers by run ID, in place of a run), and returns its combined output
// and whether it exited 0.
func runCheckApply(t *testing.T, root string, runs []ghRun, raw map[int64]string, env map[string]string) (string, bool) {
	t.Helper()
	bash := lookTool(t, root, "bash")
	jq := lookTool(t, root, "jq")
	dir := t.TempDir()
	bin, runsDir := filepath.Join(dir, "bin"), filepath.Join(dir, "runs")
	for _, d := range []string{bin, runsDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if body, ok := raw[r.ID]; ok {
			data = []byte(body)
		}
		if err := os.WriteFile(filepath.Join(runsDir, strconv.FormatInt(r.ID, 10)+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, filepath.Join(root, checkApplyScript))
	// Only the fake gh, jq and the basics: never a real gh on the machine.
	cmd.Env = []string{"PATH=" + strings.Join([]string{bin, filepath.Dir(jq), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"FAKE_GH_RUNS=" + runsDir, "FAKE_GH_REPO=" + env["REPOSITORY"]}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("run %s: %v", checkApplyScript, err)
	}
	return string(out), err == nil
}

// TestCheckApply runs the check against each way to apply without TfPilot's
// approval. Each case breaks one thing and wants the message of the check
// that catches it, so a case passes only while that check is there.
func TestCheckApply(t *testing.T) {
	root := repoRoot(t)
	bot := strconv.FormatInt(tfpilotBot.ID, 10)
	tests := []struct {
		name   string
		attack func(apply, plan *ghRun, env map[string]string)
		raw    map[int64]string // answers served instead of a run
		wantOK bool
		want   string
	}{
		{
			name:   "TfPilot's dispatch of its approved plan",
			attack: func(apply, plan *ghRun, env map[string]string) {},
			wantOK: true,
			want:   "Run 9001 (attempt 1) and plan run 8001 (attempt 1) were started by TfPilot on " + applyBranch + " at " + applySHA + ".\n",
		},
		{
			name: "hand-dispatched apply: gh workflow run apply.yml by a writer",
			attack: func(apply, plan *ghRun, env map[string]string) {
				apply.Actor, apply.TriggeringActor = alice, userp(alice)
			},
			want: "::error::run 9001 was started by alice (user ID 5001), not by TfPilot (user ID " + bot + "): only TfPilot dispatches apply.yml, once the plan is approved; approve the request in TfPilot instead\n",
		},
		{
			name: "a person re-runs TfPilot's apply: actor stays TfPilot",
			attack: func(apply, plan *ghRun, env map[string]string) {
				apply.RunAttempt, apply.TriggeringActor = 2, userp(alice)
			},
			want: "::error::this is attempt 2 of run 9001: a re-run of an apply is refused; apply again from TfPilot (Retry on the request's card), which dispatches a new run\n",
		},
		{
			name: "a person re-runs TfPilot's apply, had the attempt check gone: triggering_actor, not actor",
			attack: func(apply, plan *ghRun, env map[string]string) {
				apply.TriggeringActor = userp(alice) // actor is still TfPilot
			},
			want: "::error::run 9001 was started by alice (user ID 5001), not by TfPilot (user ID " + bot + "): only TfPilot dispatches apply.yml, once the plan is approved; approve the request in TfPilot instead\n",
		},
		{
			name: "apply dispatched on another request's branch",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["REQUEST_ID"] = "0e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
			},
			want: "::error::run 9001 is on branch '" + applyBranch + "', not on the request's branch tfpilot/0e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4: apply only from TfPilot, which runs on the request's branch\n",
		},
		{
			name: "forged plan: a pushed workflow uploads tfpilot-plan-<id>",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.Path, plan.Name = ".github/workflows/forge.yml", "forge"
			},
			want: "::error::plan run 8001 is a run of '.github/workflows/forge.yml', not of .github/workflows/plan.yml: only plan.yml's plans are shown for approval; apply from TfPilot, which passes the approved plan run\n",
		},
		{
			name: "plan.yml changed to run on push",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.Event = "push"
			},
			want: "::error::plan run 8001 was triggered by 'push', not workflow_dispatch: TfPilot dispatches every plan; plan the request again from TfPilot\n",
		},
		{
			name: "plan run from another branch",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.HeadBranch, plan.HeadSHA = "forge", "0123456789abcdef0123456789abcdef01234567"
			},
			want: "::error::plan run 8001 ran on forge at 0123456789abcdef0123456789abcdef01234567, but this run is on " + applyBranch + " at " + applySHA + ": a plan applies only to the commit it was made from; plan the request again from TfPilot\n",
		},
		{
			name: "plan run of another commit of the branch",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.HeadSHA = "0123456789abcdef0123456789abcdef01234567"
			},
			want: "::error::plan run 8001 ran on " + applyBranch + " at 0123456789abcdef0123456789abcdef01234567, but this run is on " + applyBranch + " at " + applySHA + ": a plan applies only to the commit it was made from; plan the request again from TfPilot\n",
		},
		{
			name: "failed plan run",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.Conclusion = strp("failure")
			},
			want: "::error::plan run 8001 is completed/failure, not completed/success: only a successful plan can be applied; plan the request again from TfPilot\n",
		},
		{
			name: "plan run re-run by a person after the approval",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.RunAttempt, plan.TriggeringActor = 2, userp(alice)
			},
			want: "::error::plan run 8001 is at attempt 2, but TfPilot approved attempt 1: it was re-run after the approval; plan the request again from TfPilot and approve the new plan\n",
		},
		{
			name: "apply passes another attempt than the plan run's",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["PLAN_RUN_ATTEMPT"] = "2"
			},
			want: "::error::plan run 8001 is at attempt 1, but TfPilot approved attempt 2: it was re-run after the approval; plan the request again from TfPilot and approve the new plan\n",
		},
		{
			name: "hand-dispatched plan run",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.Actor, plan.TriggeringActor = alice, userp(alice)
			},
			want: "::error::plan run 8001 was started by alice (user ID 5001), not by TfPilot (user ID " + bot + "): plan the request again from TfPilot and approve the new plan\n",
		},
		{
			name: "TFPILOT_ACTOR_ID not set in the environment",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["TFPILOT_ACTOR_ID"] = ""
			},
			want: "::error::variable TFPILOT_ACTOR_ID of GitHub environment prod-apply is '', not a user ID: set it (Settings > Environments > prod-apply) to the ID of TfPilot's App bot user, from gh api 'users/<app-slug>[bot]' --jq .id\n",
		},
		{
			name: "plan_run_id that is not a run ID steers the API call",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["PLAN_RUN_ID"] = "8001/../../../../pulls"
			},
			want: "::error::plan_run_id '8001/../../../../pulls' is not a workflow run ID\n",
		},
		{
			name:   "the API answers something that is not a run",
			attack: func(apply, plan *ghRun, env map[string]string) {},
			raw:    map[int64]string{planRunID: `[{"path":".github/workflows/plan.yml"}]`},
			want:   "::error::the API's answer for workflow run 8001 is not a run: [{\"path\":\".github/workflows/plan.yml\"}]\n",
		},
		{
			name: "missing plan_run_attempt",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["PLAN_RUN_ATTEMPT"] = ""
			},
			want: "::error::plan_run_attempt '' is not a run attempt (1 or more)\n",
		},
		{
			name: "plan run that does not exist",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["PLAN_RUN_ID"] = "7001"
			},
			want: "gh: Not Found (HTTP 404)\n::error::cannot read workflow run 7001 of acme/infra-live (see the gh error above); check that the job has permissions: actions: read\n",
		},
		// Second pass (docs/RELIABILITY.md, "Issue 14 attacks (second pass)").
		{
			name: "request_id with a command substitution",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["REQUEST_ID"] = "$(id)"
			},
			want: "::error::request_id '$(id)' is not a lowercase UUID: apply only from TfPilot, which passes the request's ID\n",
		},
		{
			name: "request_id with a newline starting a workflow command",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["REQUEST_ID"] = applyRequestID + "\n::warning::injected"
			},
			want: "::error::request_id '" + applyRequestID + "\\n::warning::injected' is not a lowercase UUID: apply only from TfPilot, which passes the request's ID\n",
		},
		{
			name: "plan_run_id with a newline and quotes",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["PLAN_RUN_ID"] = "8001\r\n::add-mask::'\"x"
			},
			want: "::error::plan_run_id '8001\\r\\n::add-mask::'\"x' is not a workflow run ID\n",
		},
		{
			name: "plan_run_id of a run in another repository: the API answers 404 under this one",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["PLAN_RUN_ID"] = "6001" // a run ID of acme/other, not served under acme/infra-live
			},
			want: "gh: Not Found (HTTP 404)\n::error::cannot read workflow run 6001 of acme/infra-live (see the gh error above); check that the job has permissions: actions: read\n",
		},
		{
			name: "plan run of a pull request from a fork, on a branch named tfpilot/<id> at the same commit",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.Event = "pull_request" // head_repository would be the fork; the event check refuses it first
			},
			want: "::error::plan run 8001 was triggered by 'pull_request', not workflow_dispatch: TfPilot dispatches every plan; plan the request again from TfPilot\n",
		},
		{
			name: "plan run of pull_request_target from a fork",
			attack: func(apply, plan *ghRun, env map[string]string) {
				plan.Event = "pull_request_target"
			},
			want: "::error::plan run 8001 was triggered by 'pull_request_target', not workflow_dispatch: TfPilot dispatches every plan; plan the request again from TfPilot\n",
		},
		{
			name: "TFPILOT_ACTOR_ID 0, and runs with no triggering_actor",
			attack: func(apply, plan *ghRun, env map[string]string) {
				env["TFPILOT_ACTOR_ID"] = "0"
				apply.TriggeringActor, plan.TriggeringActor = nil, nil
			},
			want: "::error::variable TFPILOT_ACTOR_ID of GitHub environment prod-apply is '0', not a user ID: set it (Settings > Environments > prod-apply) to the ID of TfPilot's App bot user, from gh api 'users/<app-slug>[bot]' --jq .id\n",
		},
		{
			name: "runs with no triggering_actor",
			attack: func(apply, plan *ghRun, env map[string]string) {
				apply.TriggeringActor, plan.TriggeringActor = nil, nil
			},
			want: "::error::run 9001 was started by  (user ID ), not by TfPilot (user ID " + bot + "): only TfPilot dispatches apply.yml, once the plan is approved; approve the request in TfPilot instead\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each case has its own fake gh and runs
			apply, plan := dispatchedRuns()
			env := checkApplyEnv()
			tc.attack(&apply, &plan, env)
			got, ok := runCheckApply(t, root, []ghRun{apply, plan}, tc.raw, env)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if ok != tc.wantOK {
				t.Errorf("exit 0 = %v, want %v", ok, tc.wantOK)
			}
		})
	}
}
