package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/github"
	"github.com/tfpilot/tfpilot/policy"
)

// runDoctor checks each project's environment repository as deployed,
// read-only, with the serving credentials (GITHUB_TOKEN or GITHUB_APP_*),
// and prints each problem with its fix; it exits 1 if there is any.
func runDoctor(ctx context.Context, env *environ, args []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(env.stdout)
	configPath := fs.String("config", env.getenv("TFPILOT_CONFIG"), "policy file (default $TFPILOT_CONFIG)")
	project := fs.String("project", "", "check only this project (default: every project of the policy)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: bot doctor [--project P] [--config POLICY]\n\n"+
			"Checks, read-only, that each project's environment repository is set up as TfPilot's trust\n"+
			"boundary needs (README \"Securing the environment repository\"), with the credentials\n"+
			"bot serve uses (GITHUB_TOKEN, or GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and\n"+
			"GITHUB_APP_PRIVATE_KEY_FILE; GITHUB_API_URL). With AWS credentials (the default chain), it also\n"+
			"checks the OIDC trust of each environment's AWS_ROLE_ARN (iam:GetRole). Prints each problem\n"+
			"with its fix; exit 1 if any.\n\nflags:")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *configPath == "" {
		return fmt.Errorf("%w: --config (or TFPILOT_CONFIG) is required", errUsage)
	}
	pf, err := policy.Read(*configPath)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	projects, err := selectProjects(pf.Policy, *project)
	if err != nil {
		return err
	}
	creds, err := serveCredentials(env.getenv)
	if err != nil {
		return err
	}
	problems, err := doctor(ctx, creds, env.awsConfig, pf.Policy, projects, env.stdout)
	if err != nil {
		return err
	}
	if problems > 0 {
		fmt.Fprintf(env.stdout, "\n%d problem(s) found\n", problems)
		return exitError{1}
	}
	fmt.Fprintln(env.stdout, "\nno problems found")
	return nil
}

// selectProjects returns the policy's projects, or only the one named.
func selectProjects(pol flow.Policy, name string) ([]flow.Project, error) {
	if name == "" {
		return pol.Projects, nil
	}
	for _, p := range pol.Projects {
		if p.Name == name {
			return []flow.Project{p}, nil
		}
	}
	names := make([]string, len(pol.Projects))
	for i, p := range pol.Projects {
		names[i] = p.Name
	}
	return nil, fmt.Errorf("%w: the policy has no project %q (it has: %s)", errUsage, name, strings.Join(names, ", "))
}

// serveCredentials reads the GitHub credentials bot serve uses into
// client options (no Projects).
func serveCredentials(getenv func(string) string) (github.Options, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	o := github.Options{HTTPClient: &http.Client{Timeout: githubHTTPTimeout},
		BaseURL: checkBaseURL(bad, "GITHUB_API_URL", strings.TrimSpace(getenv("GITHUB_API_URL"))),
		Token:   strings.TrimSpace(getenv("GITHUB_TOKEN"))}
	appID, inst, keyFile := getenv("GITHUB_APP_ID"), getenv("GITHUB_APP_INSTALLATION_ID"), getenv("GITHUB_APP_PRIVATE_KEY_FILE")
	appVars := appID != "" || inst != "" || keyFile != ""
	switch {
	case o.Token != "" && appVars:
		bad("GITHUB_TOKEN and GITHUB_APP_* are both set: use either a token or a GitHub App, not both")
	case o.Token == "" && !appVars:
		bad("GitHub credentials are not set: set those of bot serve (GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY_FILE, or GITHUB_TOKEN)")
	case appVars:
		a := &github.App{AppID: positiveInt(bad, "GITHUB_APP_ID", appID), InstallationID: positiveInt(bad, "GITHUB_APP_INSTALLATION_ID", inst)}
		key, err := os.ReadFile(keyFile)
		if err != nil {
			bad("GITHUB_APP_PRIVATE_KEY_FILE: %v", err)
		}
		a.PrivateKeyPEM = key
		o.App = a
	}
	if len(problems) > 0 {
		return github.Options{}, errors.New("configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return o, nil
}

// Levels of a GitHub App permission, lowest first.
var permLevels = map[string]int{"read": 1, "write": 2, "admin": 3}

// holdsAdminWrite reports whether an App with these permissions can change
// repository settings, and so lift the rulesets and environment rules that
// guard applies: the serving App must not.
func holdsAdminWrite(perms map[string]string) bool {
	return permLevels[perms["administration"]] >= permLevels["write"]
}

// servingPermissions are what the serving App needs (README "Setting up
// GitHub"), and environments: read for doctor to read the variables.
var servingPermissions = map[string]string{
	"contents": "write", "pull_requests": "write", "actions": "write", "metadata": "read", "environments": "read",
}

// checkAppPermissions checks the serving App's installation: it has what
// TfPilot needs and nothing that lets it lift its own guardrails.
func checkAppPermissions(inst github.Installation) []problem {
	fix := fmt.Sprintf("in the settings of GitHub App %s → Permissions, ", inst.AppSlug)
	var out []problem
	if holdsAdminWrite(inst.Permissions) {
		out = append(out, problem{fmt.Sprintf("GitHub App %s holds Administration: %s, so it (or whoever has its key) can remove the rulesets and environment rules that guard applies",
			inst.AppSlug, inst.Permissions["administration"]), fix + "set Administration to No access; run setup-repo with an administrator's token instead"})
	}
	if permLevels[inst.Permissions["workflows"]] >= permLevels["write"] {
		out = append(out, problem{fmt.Sprintf("GitHub App %s holds Workflows: write, so it could push a changed plan.yml or apply.yml", inst.AppSlug),
			fix + "set Workflows to No access (TfPilot never changes workflows)"})
	}
	for _, name := range sortedKeys(servingPermissions) {
		if want := servingPermissions[name]; permLevels[inst.Permissions[name]] < permLevels[want] {
			out = append(out, problem{fmt.Sprintf("GitHub App %s lacks %s: %s", inst.AppSlug, name, want), fix + "grant " + name + ": " + want + ", then accept it in the installation"})
		}
	}
	return out
}

// doctor checks projects and writes each problem and its fix to w. It
// returns how many problems it found; an error only when nothing could be
// checked.
func doctor(ctx context.Context, creds github.Options, loadAWS awsLoader, pol flow.Policy, projects []flow.Project, w io.Writer) (int, error) {
	n := 0
	report := func(ps []problem) {
		for _, p := range ps {
			fmt.Fprintf(w, "problem: %s\n    fix: %s\n", p.What, p.Fix)
			n++
		}
	}
	var appID, actorID int64
	c, err := github.New(creds)
	if err != nil {
		return 0, fmt.Errorf("GitHub: %w", err)
	}
	if creds.App != nil {
		inst, err := github.GetInstallation(ctx, creds)
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(w, "GitHub App %s (ID %d), installation %d\n", inst.AppSlug, inst.AppID, inst.ID)
		report(checkAppPermissions(inst))
		appID = inst.AppID
		if actorID, err = c.BotUserID(ctx, inst.AppSlug); err != nil {
			report([]problem{{fmt.Sprintf("cannot read the bot user of %s: %v", inst.AppSlug, err), "check the App's slug and GITHUB_API_URL"}})
		}
	} else {
		fmt.Fprintln(w, "token mode (GITHUB_TOKEN)")
		for _, e := range pol.Environments {
			if e.ApprovalsRequired > 0 {
				report([]problem{{fmt.Sprintf("environment %s requires approvals but TfPilot runs with a personal token: its runs' actor is a person, who can dispatch apply.yml by hand", e.Name),
					"run TfPilot as a GitHub App (GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY_FILE) and set TFPILOT_ACTOR_ID to its bot user's ID"}})
			}
		}
		fmt.Fprintln(w, "note: token mode: who bypasses the rulesets and TFPILOT_ACTOR_ID's value are not checked")
	}
	iamc, noAWS := newIAM(ctx, loadAWS)
	for _, p := range projects {
		owner, name, _ := strings.Cut(p.Repo, "/")
		r := github.Repo{Owner: owner, Name: name, BaseBranch: p.BaseBranch}
		fmt.Fprintf(w, "\nproject %s: %s (base branch %s)\n", p.Name, r, r.BaseBranch)
		ps, roles := checkRepo(ctx, c, r, pol, appID, actorID)
		report(ps)
		if iamc != nil {
			ps, notes := checkTrusts(ctx, iamc, r.String(), roles)
			report(ps)
			for _, note := range notes {
				fmt.Fprintln(w, "note: "+note)
			}
		}
	}
	if noAWS != "" {
		fmt.Fprintf(w, "\nnote: %s: the AWS OIDC trust of the <env>-plan and <env>-apply roles is not checked; "+
			"run doctor with AWS credentials allowed iam:GetRole on them\n", noAWS)
	}
	return n, nil
}

// checkRepo checks one environment repository and returns the AWS role of
// each of its GitHub environments that names one.
func checkRepo(ctx context.Context, c *github.Client, r github.Repo, pol flow.Policy, appID, actorID int64) ([]problem, []roleRef) {
	repo := r.String()
	var out []problem
	var roles []roleRef
	unread := func(what string, err error) {
		out = append(out, problem{fmt.Sprintf("cannot check %s: %v", what, err),
			"give the credentials the permission the message names (read-only is enough), then run bot doctor again"})
	}
	for _, e := range pol.Environments {
		for _, ghEnv := range githubEnvs(e.Name) {
			ps, role := checkDeployed(ctx, c, r, ghEnv, actorID, unread)
			out = append(out, ps...)
			if role != "" {
				roles = append(roles, roleRef{ghEnv, role})
			}
		}
	}
	if rs, err := c.Rulesets(ctx, r); err != nil {
		unread("the rulesets of "+repo, err)
	} else {
		out = append(out, checkBranchRuleset(repo, rs, appID)...)
		out = append(out, checkBaseRuleset(repo, r.BaseBranch, rs, appID)...)
	}
	path, content, err := readFirst(ctx, c, r, codeownersFiles...)
	if err != nil {
		unread("CODEOWNERS of "+repo, err)
	} else {
		out = append(out, checkCodeowners(repo, path, content)...)
	}
	for _, wf := range []struct {
		path, env string
		inputs    []string
	}{
		{planWorkflow, "${{ inputs.environment }}-plan", []string{"request_id", "environment", "dispatch_key"}},
		{applyWorkflow, "${{ inputs.environment }}-apply", []string{"request_id", "environment", "dispatch_key", "plan_run_id", "plan_run_attempt"}},
	} {
		_, content, err := readFirst(ctx, c, r, wf.path)
		if err != nil {
			unread(wf.path+" of "+repo, err)
			continue
		}
		out = append(out, checkWorkflow(wf.path, content, wf.inputs, wf.env)...)
	}
	if path, _, err := readFirst(ctx, c, r, checkApplyScript); err == nil && path == "" {
		out = append(out, problem{"the base branch has no " + checkApplyScript + ", which apply.yml runs",
			"copy it from TfPilot's repository and merge it through a pull request"})
	}
	return out, roles
}

// checkDeployed checks one GitHub environment: who may deploy to it and
// its variables; it returns its AWS_ROLE_ARN too.
func checkDeployed(ctx context.Context, c *github.Client, r github.Repo, name string, actorID int64, unread func(string, error)) ([]problem, string) {
	e, err := c.GetEnvironment(ctx, r, name)
	exists := err == nil
	if err != nil && !errors.Is(err, flow.ErrNotFound) {
		unread("environment "+name, err)
		return nil, ""
	}
	e.Name = name
	var patterns []github.BranchPattern
	if exists && e.BranchPolicy != nil && e.BranchPolicy.CustomBranchPolicies {
		if patterns, err = c.BranchPolicies(ctx, r, name); err != nil {
			unread("the branch policies of "+name, err)
			return nil, ""
		}
	}
	out := checkEnvironment(r.String(), e, exists, patterns)
	if !exists {
		return out, ""
	}
	vars, err := c.EnvVariables(ctx, r, name)
	if err != nil {
		unread("the variables of "+name, err)
		return out, ""
	}
	return append(out, checkVariables(r.String(), name, vars, wantVariables(name, actorID, nil))...), vars["AWS_ROLE_ARN"]
}

// wantVariables are the variables GitHub environment name needs: the ones
// plan.yml and apply.yml read (any value, unless set gives one), and on
// <env>-apply TFPILOT_ACTOR_ID (actorID; 0 means any value).
func wantVariables(name string, actorID int64, set map[string]string) map[string]string {
	want := map[string]string{"AWS_ROLE_ARN": "", "AWS_REGION": "", "TF_STATE_BUCKET": ""}
	for k, v := range set {
		want[k] = v
	}
	if strings.HasSuffix(name, "-apply") {
		want[actorIDVar] = ""
		if actorID != 0 {
			want[actorIDVar] = itoa(actorID)
		}
	}
	return want
}

// readFirst returns the first of paths that exists on r's base branch
// ("" and nil when none does).
func readFirst(ctx context.Context, c *github.Client, r github.Repo, paths ...string) (string, []byte, error) {
	for _, p := range paths {
		b, err := c.FileAtBase(ctx, r, p)
		switch {
		case err == nil:
			return p, b, nil
		case !errors.Is(err, flow.ErrNotFound):
			return "", nil, err
		}
	}
	return "", nil, nil
}
