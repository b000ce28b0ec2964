package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

const (
	guardRepo   = "acme/infra"
	guardAppID  = 4242
	guardInstID = 77
)

const guardPolicy = `projects:
  - name: shop
    repo: acme/infra
    base_branch: main
environments:
  - name: dev
    requesters: ["*"]
    approvers: ["*"]
    approvals_required: 0
    low_risk: true
  - name: prod
    requesters: [U0ALICE, U0BOB]
    approvers: [U0ALICE, U0BOB]
    approvals_required: 1
`

// servingPerms are the permissions README asks of the serving App.
var servingPerms = map[string]string{"contents": "write", "pull_requests": "write", "actions": "write",
	"metadata": "read", "environments": "read"}

// guardWorld is an environment repository (this repository's workflows,
// check script and a CODEOWNERS) with no settings yet, TfPilot's App, a
// policy file and the App's private key.
type guardWorld struct {
	f          *ghfake.Fake
	s          *ghfake.Settings
	policyPath string
	keyPath    string
	aws        awsLoader // nil: no AWS configuration
}

func newGuardWorld(t *testing.T) *guardWorld {
	t.Helper()
	files := map[string]string{
		".github/CODEOWNERS":  "# owners\n/.github/ @acme/platform\n/modules/ @acme/platform\n/policies/ @acme/platform\n",
		"envs/dev/backend.tf": "terraform {\n  backend \"s3\" {}\n}\n",
	}
	for _, p := range []string{planWorkflow, applyWorkflow, checkApplyScript} {
		b, err := os.ReadFile(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(b)
	}
	f := ghfake.New(t)
	owner, name, _ := strings.Cut(guardRepo, "/")
	f.AddRepo(owner, name, "main", files)
	s := ghfake.NewSettings(f)
	s.AddApp("tfpilot", guardAppID, guardInstID, servingPerms)

	dir := t.TempDir()
	w := &guardWorld{f: f, s: s, policyPath: filepath.Join(dir, "policy.yaml"), keyPath: filepath.Join(dir, "app.pem")}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(w.keyPath, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.policyPath, []byte(guardPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// bot runs one bot command with vars as its environment.
func (w *guardWorld) bot(t *testing.T, vars map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	vars["GITHUB_API_URL"] = w.s.URL
	vars["TFPILOT_CONFIG"] = w.policyPath
	env := &environ{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }, awsConfig: w.aws}
	code := run(context.Background(), env, args)
	return code, out.String() + errOut.String()
}

func (w *guardWorld) setupRepo(t *testing.T) (int, string) {
	t.Helper()
	return w.bot(t, map[string]string{adminTokenVar: ghfake.AdminToken}, "setup-repo", "--project", "shop",
		"--app-slug", "tfpilot", "--owners", "@acme/platform",
		"--var", "AWS_REGION=eu-west-1", "--var", "TF_STATE_BUCKET=acme-tfstate",
		"--var", "dev-plan:AWS_ROLE_ARN=arn:aws:iam::1:role/dev-plan", "--var", "dev-apply:AWS_ROLE_ARN=arn:aws:iam::1:role/dev-apply",
		"--var", "prod-plan:AWS_ROLE_ARN=arn:aws:iam::1:role/prod-plan", "--var", "prod-apply:AWS_ROLE_ARN=arn:aws:iam::1:role/prod-apply")
}

func (w *guardWorld) doctorApp(t *testing.T) (int, string) {
	t.Helper()
	return w.bot(t, map[string]string{"GITHUB_APP_ID": itoa(guardAppID), "GITHUB_APP_INSTALLATION_ID": itoa(guardInstID),
		"GITHUB_APP_PRIVATE_KEY_FILE": w.keyPath}, "doctor")
}

// problems returns the problem and fix lines of doctor's output.
func problems(out string) []string {
	var ps []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "problem: ") || strings.HasPrefix(l, "    fix: ") {
			ps = append(ps, strings.TrimSpace(l))
		}
	}
	return ps
}

func writes(f *ghfake.Fake) map[string]int {
	out := map[string]int{}
	for k, v := range f.Counts() {
		if !strings.HasPrefix(k, "GET ") && !strings.Contains(k, "access_tokens") {
			out[k] = v
		}
	}
	return out
}

func TestSetupRepoThenDoctorFindsNothing(t *testing.T) {
	w := newGuardWorld(t)
	code, out := w.setupRepo(t)
	if code != 0 {
		t.Fatalf("setup-repo exit %d:\n%s", code, out)
	}
	if got := w.s.Variables(guardRepo, "prod-apply")[actorIDVar]; got != itoa(ghfake.AppUserID) {
		t.Errorf("prod-apply %s = %q, want the bot user's ID %d", actorIDVar, got, ghfake.AppUserID)
	}
	w.f.ResetCounts()
	code, out = w.doctorApp(t)
	if diff := cmp.Diff([]string(nil), problems(out)); diff != "" || code != 0 {
		t.Errorf("doctor after setup-repo: exit %d, problems (-want +got):\n%s\n%s", code, diff, out)
	}
	if !strings.Contains(out, "no problems found") {
		t.Errorf("doctor's output does not say it found nothing:\n%s", out)
	}
	if n := writes(w.f); len(n) != 0 {
		t.Errorf("doctor wrote to GitHub: %v", n)
	}
}

func TestSetupRepoTwiceChangesNothing(t *testing.T) {
	w := newGuardWorld(t)
	if code, out := w.setupRepo(t); code != 0 {
		t.Fatalf("setup-repo exit %d:\n%s", code, out)
	}
	first := writes(w.f)
	if len(first) == 0 {
		t.Fatal("the first setup-repo wrote nothing")
	}
	w.f.ResetCounts()
	code, out := w.setupRepo(t)
	if code != 0 {
		t.Fatalf("second setup-repo exit %d:\n%s", code, out)
	}
	if diff := cmp.Diff(map[string]int{}, writes(w.f)); diff != "" {
		t.Errorf("second setup-repo wrote (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "\n0 change(s), ") {
		t.Errorf("second setup-repo reports changes:\n%s", out)
	}
}

func TestSetupRepoNeedsAdminToken(t *testing.T) {
	w := newGuardWorld(t)
	code, out := w.bot(t, map[string]string{"GITHUB_TOKEN": ghfake.Token}, "setup-repo", "--project", "shop", "--app-slug", "tfpilot")
	if code != 1 || !strings.Contains(out, adminTokenVar+" is not set") {
		t.Errorf("setup-repo without %s: exit %d, output:\n%s", adminTokenVar, code, out)
	}
	if n := writes(w.f); len(n) != 0 {
		t.Errorf("setup-repo wrote with the serving credentials: %v", n)
	}
}

func TestDoctorFindsEachMisconfiguration(t *testing.T) {
	const setupFixLine = "fix: run `bot setup-repo --repo acme/infra` with a repository administrator's GITHUB_ADMIN_TOKEN"
	applyWithoutCheck := func(t *testing.T) string {
		b, err := os.ReadFile(filepath.Join("..", "..", applyWorkflow))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i := strings.Index(s, "      # Only TfPilot's dispatch")
		j := strings.Index(s, "      - name: Check configuration")
		if i < 0 || j < i {
			t.Fatal("apply.yml's check step not found")
		}
		return s[:i] + s[j:]
	}
	tests := []struct {
		name   string
		break_ func(t *testing.T, w *guardWorld)
		token  bool // doctor in token mode (GITHUB_TOKEN)
		want   []string
	}{
		{
			name:   "missing environment",
			break_: func(t *testing.T, w *guardWorld) { w.s.DeleteEnvironment(guardRepo, "prod-apply") },
			want:   []string{"problem: acme/infra has no environment prod-apply", setupFixLine},
		},
		{
			name:   "environment open to every branch",
			break_: func(t *testing.T, w *guardWorld) { w.s.AllowAllBranches(guardRepo, "prod-plan") },
			want: []string{"problem: any branch of acme/infra may deploy to prod-plan: a workflow pushed on any branch gets its variables and AWS role",
				setupFixLine},
		},
		{
			name:   "branch policy allowing all branches",
			break_: func(t *testing.T, w *guardWorld) { w.s.AddBranchPattern(guardRepo, "prod-apply", "*") },
			want: []string{`problem: prod-apply also lets branch "*" deploy`,
				"fix: delete that deployment branch policy (Settings → Environments → prod-apply)"},
		},
		{
			name:   "missing TFPILOT_ACTOR_ID",
			break_: func(t *testing.T, w *guardWorld) { w.s.DeleteVariable(guardRepo, "prod-apply", actorIDVar) },
			want:   []string{"problem: prod-apply has no variable TFPILOT_ACTOR_ID: check-apply.sh refuses every apply", setupFixLine},
		},
		{
			name:   "tfpilot/* ruleset missing",
			break_: func(t *testing.T, w *guardWorld) { w.s.DeleteRuleset(guardRepo, branchRulesetName) },
			want: []string{"problem: no active ruleset of acme/infra restricts refs/heads/tfpilot/*: anyone with write access can push a changed workflow or plan to a request branch",
				setupFixLine},
		},
		{
			name: "a person may bypass the tfpilot/* ruleset",
			break_: func(t *testing.T, w *guardWorld) {
				w.s.EditBypassActors(guardRepo, branchRulesetName, []ghfake.BypassActor{
					{ActorID: guardAppID, ActorType: "Integration", BypassMode: "always"},
					{ActorID: 5, ActorType: "RepositoryRole", BypassMode: "always"}})
			},
			want: []string{`problem: ruleset "tfpilot: only TfPilot writes tfpilot/*" lets RepositoryRole 5 bypass it: only TfPilot's App may`,
				`fix: remove that bypass actor (Settings → Rules → Rulesets → tfpilot: only TfPilot writes tfpilot/*)`},
		},
		{
			name: "App bypasses the base ruleset always",
			break_: func(t *testing.T, w *guardWorld) {
				w.s.EditBypassActors(guardRepo, baseRulesetName, []ghfake.BypassActor{{ActorID: guardAppID, ActorType: "Integration", BypassMode: "always"}})
			},
			want: []string{`problem: ruleset "tfpilot: pull requests into the base branch" lets TfPilot's App bypass it in mode "always", want "pull_request": TfPilot merges its pull requests and must never push directly`,
				setupFixLine},
		},
		{
			name:   "base ruleset missing",
			break_: func(t *testing.T, w *guardWorld) { w.s.DeleteRuleset(guardRepo, baseRulesetName) },
			want: []string{"problem: no active ruleset of acme/infra requires pull requests into main: anyone with write access can push workflow changes there",
				setupFixLine},
		},
		{
			name: "App holds Administration: write",
			break_: func(t *testing.T, w *guardWorld) {
				perms := clonePerms(servingPerms)
				perms["administration"] = "write"
				w.s.SetPermissions("tfpilot", perms)
			},
			want: []string{"problem: GitHub App tfpilot holds Administration: write, so it (or whoever has its key) can remove the rulesets and environment rules that guard applies",
				"fix: in the settings of GitHub App tfpilot → Permissions, set Administration to No access; run setup-repo with an administrator's token instead"},
		},
		{
			name:   "token mode with approvals",
			break_: func(t *testing.T, w *guardWorld) {},
			token:  true,
			want: []string{"problem: environment prod requires approvals but TfPilot runs with a personal token: its runs' actor is a person, who can dispatch apply.yml by hand",
				"fix: run TfPilot as a GitHub App (GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY_FILE) and set TFPILOT_ACTOR_ID to its bot user's ID"},
		},
		{
			name: "apply.yml without the check",
			break_: func(t *testing.T, w *guardWorld) {
				w.f.CommitToBranch(guardRepo, "main", map[string]string{applyWorkflow: applyWithoutCheck(t)})
			},
			want: []string{`problem: .github/workflows/apply.yml: step "Download the approved plan" runs before .github/scripts/check-apply.sh: a plan TfPilot did not approve reaches it`,
				"fix: copy .github/workflows/apply.yml from TfPilot's repository (it holds the contract) and merge it through a pull request"},
		},
		{
			name: "CODEOWNERS without modules/",
			break_: func(t *testing.T, w *guardWorld) {
				w.f.CommitToBranch(guardRepo, "main", map[string]string{".github/CODEOWNERS": "/.github/ @acme/platform\n/policies/ @acme/platform\n"})
			},
			want: []string{"problem: .github/CODEOWNERS gives no owner to modules/", "fix: add to .github/CODEOWNERS: /modules/ @OWNER"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newGuardWorld(t)
			if code, out := w.setupRepo(t); code != 0 {
				t.Fatalf("setup-repo exit %d:\n%s", code, out)
			}
			tt.break_(t, w)
			var code int
			var out string
			if tt.token {
				code, out = w.bot(t, map[string]string{"GITHUB_TOKEN": ghfake.Token}, "doctor")
			} else {
				code, out = w.doctorApp(t)
			}
			if diff := cmp.Diff(tt.want, problems(out)); diff != "" {
				t.Errorf("doctor's problems (-want +got):\n%s\noutput:\n%s", diff, out)
			}
			if code != 1 {
				t.Errorf("doctor exit %d, want 1", code)
			}
		})
	}
}

func clonePerms(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
