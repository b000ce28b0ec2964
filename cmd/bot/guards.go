package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tfpilot/tfpilot/infra/github"
)

// The guardrails of an environment repository (issue 14, README "Securing
// the environment repository"): what `bot setup-repo` makes and `bot
// doctor` checks. Both use the checks below, so setup-repo writes exactly
// what doctor would otherwise report.

const (
	// requestBranches is the only branch pattern that may deploy to the
	// <env>-plan and <env>-apply environments.
	requestBranches = "tfpilot/*"
	// actorIDVar is the <env>-apply variable check-apply.sh compares the
	// runs' triggering_actor.id with.
	actorIDVar = "TFPILOT_ACTOR_ID"

	branchRulesetName = "tfpilot: only TfPilot writes tfpilot/*"
	baseRulesetName   = "tfpilot: pull requests into the base branch"
)

// codeownersPaths need a CODEOWNERS review on the base branch: whoever
// merges there can rewrite the workflows, the modules and the policies.
var codeownersPaths = []string{".github/", "modules/", "policies/"}

// codeownersFiles are where GitHub looks for CODEOWNERS, in its order.
// https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#codeowners-file-location
var codeownersFiles = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// problem is one thing wrong with a repository, and what fixes it.
type problem struct {
	What, Fix string
}

// githubEnvs are the GitHub environments of policy environment env.
func githubEnvs(env string) []string { return []string{env + "-plan", env + "-apply"} }

func setupFix(repo string) string {
	return "run `bot setup-repo --repo " + repo + "` with a repository administrator's GITHUB_ADMIN_TOKEN"
}

// checkEnvironment checks that only tfpilot/* branches may deploy to
// environment e (exists false: it is missing).
func checkEnvironment(repo string, e github.Environment, exists bool, patterns []github.BranchPattern) []problem {
	fix := setupFix(repo)
	switch {
	case !exists:
		return []problem{{fmt.Sprintf("%s has no environment %s", repo, e.Name), fix}}
	case e.BranchPolicy == nil:
		return []problem{{fmt.Sprintf("any branch of %s may deploy to %s: a workflow pushed on any branch gets its variables and AWS role", repo, e.Name), fix}}
	case e.BranchPolicy.ProtectedBranches || !e.BranchPolicy.CustomBranchPolicies:
		return []problem{{fmt.Sprintf("%s lets protected branches deploy, not only %s", e.Name, requestBranches), fix}}
	}
	var out []problem
	has := false
	for _, p := range patterns {
		if p.Name == requestBranches && p.Type == "branch" {
			has = true
			continue
		}
		out = append(out, problem{fmt.Sprintf("%s also lets %s %q deploy", e.Name, p.Type, p.Name),
			fmt.Sprintf("delete that deployment branch policy (Settings → Environments → %s)", e.Name)})
	}
	if !has {
		out = append(out, problem{fmt.Sprintf("no %s branch may deploy to %s, so TfPilot's runs cannot use it", requestBranches, e.Name), fix})
	}
	return out
}

// checkVariables checks that environment env has every variable of want,
// with its value where want gives one ("" means any value).
func checkVariables(repo, env string, have, want map[string]string) []problem {
	var out []problem
	for _, name := range sortedKeys(want) {
		got, ok := have[name]
		switch {
		case !ok && name == actorIDVar:
			out = append(out, problem{fmt.Sprintf("%s has no variable %s: check-apply.sh refuses every apply", env, name), setupFix(repo)})
		case !ok:
			out = append(out, problem{fmt.Sprintf("%s has no variable %s: its workflow runs fail", env, name),
				fmt.Sprintf("run `bot setup-repo --repo %s --var %s:%s=VALUE` (see deploy/terraform/README.md)", repo, env, name)})
		case want[name] != "" && got != want[name]:
			out = append(out, problem{fmt.Sprintf("%s: %s is %q, want %q", env, name, got, want[name]), setupFix(repo)})
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// branchRuleset lets only the App (appID) create, update or delete
// tfpilot/* branches.
// https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset
func branchRuleset(appID int64) github.Ruleset {
	return github.Ruleset{
		Name: branchRulesetName, Target: "branch", Enforcement: "active",
		BypassActors: []github.BypassActor{{ActorID: appID, ActorType: "Integration", BypassMode: "always"}},
		Conditions:   github.RulesetConditions{RefName: github.RefCondition{Include: []string{"refs/heads/" + requestBranches}, Exclude: []string{}}},
		Rules: []github.Rule{{Type: "creation"}, {Type: "update", Parameters: json.RawMessage(`{"update_allows_fetch_and_merge":false}`)},
			{Type: "deletion"}},
	}
}

// baseRuleset requires a pull request with a code owner's review to change
// the base branch; the App may bypass it only by merging its pull requests
// (bypass_mode pull_request), never by pushing.
func baseRuleset(appID int64, base string) github.Ruleset {
	return github.Ruleset{
		Name: baseRulesetName, Target: "branch", Enforcement: "active",
		BypassActors: []github.BypassActor{{ActorID: appID, ActorType: "Integration", BypassMode: "pull_request"}},
		Conditions:   github.RulesetConditions{RefName: github.RefCondition{Include: []string{"refs/heads/" + base}, Exclude: []string{}}},
		Rules: []github.Rule{{Type: "pull_request", Parameters: json.RawMessage(`{"dismiss_stale_reviews_on_push":true,` +
			`"require_code_owner_review":true,"require_last_push_approval":false,"required_approving_review_count":1,` +
			`"required_review_thread_resolution":false}`)}, {Type: "deletion"}, {Type: "non_fast_forward"}},
	}
}

// rulesetFor returns the active branch ruleset of rs whose conditions
// include ref, preferring the one called name.
func rulesetFor(rs []github.Ruleset, name, ref string) (github.Ruleset, bool) {
	var found []github.Ruleset
	for _, r := range rs {
		if r.Enforcement == "active" && r.Target == "branch" && slices.Contains(r.Conditions.RefName.Include, ref) {
			found = append(found, r)
		}
	}
	for _, r := range found {
		if r.Name == name {
			return r, true
		}
	}
	if len(found) > 0 {
		return found[0], true
	}
	for _, r := range rs { // there, but not active or not on ref: setup-repo replaces it
		if r.Name == name {
			return r, false
		}
	}
	return github.Ruleset{}, false
}

func hasRule(r github.Ruleset, typ string) (github.Rule, bool) {
	for _, rule := range r.Rules {
		if rule.Type == typ {
			return rule, true
		}
	}
	return github.Rule{}, false
}

// checkBypass checks that the App, and nobody else, bypasses r, in mode.
func checkBypass(repo string, r github.Ruleset, appID int64, mode, why string) []problem {
	var out []problem
	app := false
	for _, a := range r.BypassActors {
		if a.ActorType == "Integration" && a.ActorID == appID {
			app = true
			if a.BypassMode != mode {
				out = append(out, problem{fmt.Sprintf("ruleset %q lets TfPilot's App bypass it in mode %q, want %q: %s", r.Name, a.BypassMode, mode, why), setupFix(repo)})
			}
			continue
		}
		out = append(out, problem{fmt.Sprintf("ruleset %q lets %s %d bypass it: only TfPilot's App may", r.Name, a.ActorType, a.ActorID),
			fmt.Sprintf("remove that bypass actor (Settings → Rules → Rulesets → %s)", r.Name)})
	}
	if !app && appID != 0 {
		out = append(out, problem{fmt.Sprintf("ruleset %q does not let TfPilot's App (ID %d) bypass it: %s", r.Name, appID, why), setupFix(repo)})
	}
	return out
}

// checkBranchRuleset checks that only the App writes tfpilot/*. appID 0
// (token mode) checks the rules but not who bypasses them.
func checkBranchRuleset(repo string, rs []github.Ruleset, appID int64) []problem {
	r, ok := rulesetFor(rs, branchRulesetName, "refs/heads/"+requestBranches)
	if !ok {
		return []problem{{fmt.Sprintf("no active ruleset of %s restricts refs/heads/%s: anyone with write access can push a changed workflow or plan to a request branch", repo, requestBranches), setupFix(repo)}}
	}
	var out []problem
	for _, typ := range []string{"creation", "update", "deletion"} {
		if _, ok := hasRule(r, typ); !ok {
			out = append(out, problem{fmt.Sprintf("ruleset %q has no %s rule: people can %s tfpilot/* branches", r.Name, typ, map[string]string{"creation": "create", "update": "push to", "deletion": "delete"}[typ]), setupFix(repo)})
		}
	}
	if appID != 0 {
		out = append(out, checkBypass(repo, r, appID, "always", "TfPilot writes its request branches")...)
	}
	return out
}

// checkBaseRuleset checks that the base branch changes only through pull
// requests with a code owner's review, which the App bypasses only when
// merging.
func checkBaseRuleset(repo, base string, rs []github.Ruleset, appID int64) []problem {
	r, ok := rulesetFor(rs, baseRulesetName, "refs/heads/"+base)
	if !ok {
		r, ok = rulesetFor(rs, baseRulesetName, "~DEFAULT_BRANCH")
	}
	if !ok {
		return []problem{{fmt.Sprintf("no active ruleset of %s requires pull requests into %s: anyone with write access can push workflow changes there", repo, base), setupFix(repo)}}
	}
	var out []problem
	rule, ok := hasRule(r, "pull_request")
	var params struct {
		CodeOwners bool `json:"require_code_owner_review"`
	}
	if ok && rule.Parameters != nil {
		_ = json.Unmarshal(rule.Parameters, &params)
	}
	switch {
	case !ok:
		out = append(out, problem{fmt.Sprintf("ruleset %q does not require a pull request into %s", r.Name, base), setupFix(repo)})
	case !params.CodeOwners:
		out = append(out, problem{fmt.Sprintf("ruleset %q does not require a code owner's review: %s need one", r.Name, strings.Join(codeownersPaths, ", ")), setupFix(repo)})
	}
	if appID != 0 {
		out = append(out, checkBypass(repo, r, appID, "pull_request", "TfPilot merges its pull requests and must never push directly")...)
	}
	return out
}

// checkCodeowners checks that a CODEOWNERS file (path, "" when there is
// none) gives every path of codeownersPaths an owner.
func checkCodeowners(repo, path string, content []byte) []problem {
	if path == "" {
		return []problem{{fmt.Sprintf("%s has no CODEOWNERS file, so the code owner review the base ruleset requires names nobody", repo),
			"commit .github/CODEOWNERS with: " + codeownersLines("@OWNER")}}
	}
	owned := map[string]bool{}
	for _, line := range bytes.Split(content, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		p := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(f[0], "/"), "**"), "*")
		if p == "" { // "*" or "/**": every file
			p = "*"
		}
		owned[strings.TrimSuffix(p, "/")+"/"] = true
	}
	var missing []string
	for _, p := range codeownersPaths {
		if !owned[p] && !owned["*/"] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []problem{{fmt.Sprintf("%s gives no owner to %s", path, strings.Join(missing, ", ")),
		"add to " + path + ": " + codeownersLines("@OWNER", missing...)}}
}

// codeownersLines renders CODEOWNERS lines giving paths (default: all of
// codeownersPaths) to owner, separated by "; " for one line of output.
func codeownersLines(owner string, paths ...string) string {
	if len(paths) == 0 {
		paths = codeownersPaths
	}
	lines := make([]string, len(paths))
	for i, p := range paths {
		lines[i] = "/" + p + " " + owner
	}
	return strings.Join(lines, "; ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
