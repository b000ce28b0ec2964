package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/github"
	"github.com/tfpilot/tfpilot/policy"
)

// adminTokenVar holds the token of a repository administrator for
// setup-repo. It is read from the environment only (a flag would leave it
// in shell history and the process list), and never falls back to the
// serving credentials: the serving App must not hold Administration: write.
const adminTokenVar = "GITHUB_ADMIN_TOKEN"

// varFlag collects --var [GITHUB_ENV:]NAME=VALUE.
type varFlag []setVar

type setVar struct{ env, name, value string }

func (v *varFlag) String() string { return "" }

func (v *varFlag) Set(s string) error {
	kv, value, ok := strings.Cut(s, "=")
	if !ok || kv == "" {
		return fmt.Errorf("%q is not [ENV:]NAME=VALUE", s)
	}
	env, name, scoped := strings.Cut(kv, ":")
	if !scoped {
		env, name = "", kv
	}
	if name == actorIDVar {
		return fmt.Errorf("%s is set from --app-slug, not by hand", actorIDVar)
	}
	*v = append(*v, setVar{env: env, name: name, value: value})
	return nil
}

// runSetupRepo creates or updates, idempotently, the guardrails of
// environment repositories (README "Securing the environment repository")
// with a repository administrator's token, and prints what it changed and
// what was already right.
func runSetupRepo(ctx context.Context, env *environ, args []string) error {
	fs := flag.NewFlagSet("setup-repo", flag.ContinueOnError)
	fs.SetOutput(env.stdout)
	configPath := fs.String("config", env.getenv("TFPILOT_CONFIG"), "policy file (default $TFPILOT_CONFIG): its projects, base branches and environments")
	project := fs.String("project", "", "set up only this project of the policy (default: every project)")
	repoFlag := fs.String("repo", "", "owner/name: set up this repository instead of the policy's (needs --envs)")
	envsFlag := fs.String("envs", "", "with --repo: comma-separated environment names (dev,prod)")
	base := fs.String("base", "main", "with --repo: the base branch")
	slug := fs.String("app-slug", "", "slug of TfPilot's GitHub App (from its settings URL); required")
	owners := fs.String("owners", "@OWNER", "owner to suggest for the CODEOWNERS lines (@org/team)")
	var vars varFlag
	fs.Var(&vars, "var", "[ENV:]NAME=VALUE: a variable of GitHub environment ENV (e.g. prod-apply), or of every one; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: bot setup-repo --app-slug SLUG (--project P | --repo OWNER/NAME --envs E1,E2) [--var [ENV:]NAME=VALUE]...\n\n"+
			"Creates or updates, for each environment E, the GitHub environments E-plan and E-apply (only\n"+
			"tfpilot/* branches may deploy; variables, TFPILOT_ACTOR_ID on E-apply), a ruleset letting only\n"+
			"the App write tfpilot/*, and a ruleset requiring pull requests with a code owner's review on the\n"+
			"base branch (the App bypasses it only to merge). Run it with a repository administrator's token\n"+
			"in "+adminTokenVar+" (never the serving App's credentials); GITHUB_API_URL as for bot serve.\n\nflags:")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *slug == "" {
		return fmt.Errorf("%w: --app-slug is required", errUsage)
	}
	projects, envNames, err := setupTargets(*configPath, *project, *repoFlag, *envsFlag, *base)
	if err != nil {
		return err
	}
	token := strings.TrimSpace(env.getenv(adminTokenVar))
	if token == "" {
		return fmt.Errorf("%s is not set: give the token of a repository administrator (fine-grained: Administration, Environments and Variables: read and write); not the serving App's credentials, which must not hold Administration: write", adminTokenVar)
	}
	if err := notServingToken(token, strings.TrimSpace(env.getenv("GITHUB_TOKEN"))); err != nil {
		return err
	}
	var bad []string
	o := github.Options{HTTPClient: &http.Client{Timeout: githubHTTPTimeout}, Token: token,
		BaseURL: checkBaseURL(func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }, "GITHUB_API_URL", strings.TrimSpace(env.getenv("GITHUB_API_URL")))}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	c, err := github.New(o)
	if err != nil {
		return fmt.Errorf("GitHub: %w", err)
	}
	s := &setup{c: c, w: env.stdout, vars: vars, owners: *owners}
	var perms map[string]string
	if s.appID, perms, err = c.AppID(ctx, *slug); err != nil {
		return fmt.Errorf("GitHub App %s: %w", *slug, err)
	}
	if holdsAdminWrite(perms) {
		// The rulesets written next would guard nothing from it.
		return fmt.Errorf("GitHub App %s asks for Administration: %s, so it (or whoever has its key) could remove the rulesets and environment rules setup-repo makes: "+
			"set Administration to No access in the App's settings → Permissions, then run setup-repo again", *slug, perms["administration"])
	}
	if s.actorID, err = c.BotUserID(ctx, *slug); err != nil {
		return fmt.Errorf("GitHub App %s: %w", *slug, err)
	}
	fmt.Fprintf(env.stdout, "GitHub App %s: ID %d, bot user %s[bot] ID %d\n", *slug, s.appID, *slug, s.actorID)
	for _, p := range projects {
		owner, name, _ := strings.Cut(p.Repo, "/")
		if err := s.repo(ctx, github.Repo{Owner: owner, Name: name, BaseBranch: p.BaseBranch}, envNames); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "\n%d change(s), %d already right, %d to do by hand\n", s.changed, s.right, s.todo)
	return nil
}

// notServingToken refuses, as setup-repo's admin token, credentials that
// serve TfPilot: the serving token itself (GITHUB_TOKEN, token mode), or a
// GitHub App installation token (ghs_…), such as one minted with the
// serving App's key. Either would mean the serving credentials hold
// Administration: write, and could lift the guardrails setup-repo makes.
func notServingToken(admin, serving string) error {
	switch {
	case serving != "" && admin == serving:
		return fmt.Errorf("%s is GITHUB_TOKEN, the token TfPilot serves with, which must not hold Administration: write: give the token of a repository administrator instead, and keep it out of TfPilot's environment", adminTokenVar)
	case strings.HasPrefix(admin, "ghs_"):
		return fmt.Errorf("%s is a GitHub App installation token (ghs_…): setup-repo takes the token of a repository administrator (a person), so that no App, TfPilot's least of all, needs Administration: write", adminTokenVar)
	}
	return nil
}

// setupTargets returns the repositories and environments to set up: the
// policy's, or --repo's with --envs.
func setupTargets(configPath, project, repo, envs, base string) ([]flow.Project, []string, error) {
	if repo != "" {
		if project != "" {
			return nil, nil, fmt.Errorf("%w: give --project or --repo, not both", errUsage)
		}
		if o, n, ok := strings.Cut(repo, "/"); !ok || o == "" || n == "" || strings.Contains(n, "/") {
			return nil, nil, fmt.Errorf("%w: --repo %q is not owner/name", errUsage, repo)
		}
		var names []string
		for _, e := range strings.Split(envs, ",") {
			if e = strings.TrimSpace(e); e != "" {
				names = append(names, e)
			}
		}
		if len(names) == 0 {
			return nil, nil, fmt.Errorf("%w: --repo needs --envs (the policy's environment names)", errUsage)
		}
		return []flow.Project{{Name: repo, Repo: repo, BaseBranch: base}}, names, nil
	}
	if configPath == "" {
		return nil, nil, fmt.Errorf("%w: give --project with --config (or TFPILOT_CONFIG), or --repo with --envs", errUsage)
	}
	pf, err := policy.Read(configPath)
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	projects, err := selectProjects(pf.Policy, project)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(pf.Policy.Environments))
	for i, e := range pf.Policy.Environments {
		names[i] = e.Name
	}
	return projects, names, nil
}

// setup writes one repository's guardrails, using doctor's checks to
// decide what to write.
type setup struct {
	c              *github.Client
	w              io.Writer
	vars           varFlag
	owners         string
	appID, actorID int64

	changed, right, todo int
}

func (s *setup) line(verb, format string, args ...any) {
	fmt.Fprintf(s.w, "  %-8s %s\n", verb, fmt.Sprintf(format, args...))
	switch verb {
	case "ok":
		s.right++
	case "to do":
		s.todo++
	default:
		s.changed++
	}
}

func (s *setup) repo(ctx context.Context, r github.Repo, envNames []string) error {
	fmt.Fprintf(s.w, "\n%s (base branch %s)\n", r, r.BaseBranch)
	for _, e := range envNames {
		for _, name := range githubEnvs(e) {
			if err := s.environment(ctx, r, name); err != nil {
				return err
			}
		}
	}
	rs, err := s.c.Rulesets(ctx, r)
	if err != nil {
		return err
	}
	repo := r.String()
	if err := s.ruleset(ctx, r, rs, branchRuleset(s.appID), checkBranchRuleset(repo, rs, s.appID)); err != nil {
		return err
	}
	if err := s.ruleset(ctx, r, rs, baseRuleset(s.appID, r.BaseBranch), checkBaseRuleset(repo, r.BaseBranch, rs, s.appID)); err != nil {
		return err
	}
	path, content, err := readFirst(ctx, s.c, r, codeownersFiles...)
	if err != nil {
		return err
	}
	switch ps := checkCodeowners(repo, path, content); {
	case len(ps) == 0:
		s.line("ok", "%s gives %s an owner", path, strings.Join(codeownersPaths, ", "))
	case path == "":
		s.line("to do", "commit .github/CODEOWNERS (through a pull request) with: %s", codeownersLines(s.owners))
	default:
		s.line("to do", "%s; add: %s", ps[0].What, strings.TrimPrefix(strings.ReplaceAll(ps[0].Fix, "@OWNER", s.owners), "add to "+path+": "))
	}
	return nil
}

// environment makes GitHub environment name deploy only from tfpilot/*
// and sets its variables.
func (s *setup) environment(ctx context.Context, r github.Repo, name string) error {
	e, err := s.c.GetEnvironment(ctx, r, name)
	exists := err == nil
	if err != nil && !errors.Is(err, flow.ErrNotFound) {
		return err
	}
	var patterns []github.BranchPattern
	custom := exists && e.BranchPolicy != nil && e.BranchPolicy.CustomBranchPolicies && !e.BranchPolicy.ProtectedBranches
	if custom {
		if patterns, err = s.c.BranchPolicies(ctx, r, name); err != nil {
			return err
		}
	}
	e.Name = name
	if ps := checkEnvironment(r.String(), e, exists, patterns); len(ps) == 0 {
		s.line("ok", "environment %s: only %s may deploy", name, requestBranches)
	} else {
		if !custom {
			if err := s.c.PutEnvironment(ctx, r, name); err != nil {
				return err
			}
			s.line(map[bool]string{true: "updated", false: "created"}[exists], "environment %s: deploys from custom branch policies only", name)
			patterns = nil // switching the setting drops the old custom policies
		}
		has := false
		for _, p := range patterns {
			if p.Name == requestBranches && p.Type == "branch" {
				has = true
			} else {
				s.line("to do", "environment %s also lets %s %q deploy: delete that policy (Settings → Environments → %s)", name, p.Type, p.Name, name)
			}
		}
		if !has {
			if err := s.c.AddBranchPolicy(ctx, r, name, requestBranches); err != nil {
				return err
			}
			s.line("added", "environment %s: branch policy %s", name, requestBranches)
		}
	}
	return s.variables(ctx, r, name, exists)
}

func (s *setup) variables(ctx context.Context, r github.Repo, name string, existed bool) error {
	have := map[string]string{}
	if existed {
		var err error
		if have, err = s.c.EnvVariables(ctx, r, name); err != nil {
			return err
		}
	}
	set := map[string]string{}
	for _, v := range s.vars {
		if v.env == "" || v.env == name {
			set[v.name] = v.value
		}
	}
	want := wantVariables(name, s.actorID, set)
	for _, k := range sortedKeys(want) {
		got, ok := have[k]
		switch {
		case want[k] == "" && ok:
			s.line("ok", "%s: %s is set", name, k)
		case want[k] == "":
			s.line("to do", "%s: %s is not set: run again with --var %s:%s=VALUE", name, k, name, k)
		case ok && got == want[k]:
			s.line("ok", "%s: %s = %s", name, k, got)
		default:
			if err := s.c.SetEnvVariable(ctx, r, name, k, want[k], ok); err != nil {
				return err
			}
			s.line("set", "%s: %s = %s", name, k, want[k])
		}
	}
	return nil
}

// ruleset writes want unless problems is empty; it replaces the ruleset
// of the same name, if there is one.
func (s *setup) ruleset(ctx context.Context, r github.Repo, rs []github.Ruleset, want github.Ruleset, problems []problem) error {
	if len(problems) == 0 {
		s.line("ok", "ruleset %q", want.Name)
		return nil
	}
	verb := "created"
	for _, have := range rs {
		if have.Name == want.Name {
			want.ID, verb = have.ID, "updated"
		}
	}
	if err := s.c.PutRuleset(ctx, r, want); err != nil {
		return err
	}
	s.line(verb, "ruleset %q (was: %s)", want.Name, problems[0].What)
	return nil
}
