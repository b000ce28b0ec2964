package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tfpilot/tfpilot/flow"
)

// Repository settings read by `bot doctor` and written by `bot setup-repo`:
// deployment environments, their branch policies and variables, rulesets.
// Writes need Administration: write on the repository, which the serving
// App must not hold (it could lift its own guardrails): setup-repo builds a
// Client from an administrator's token for them.

// Permissions of the settings calls, named as in a GitHub App's settings.
const (
	permAdminWrite   = "administration:write"
	permEnvRead      = "environments:read"
	permMetadataRead = "metadata:read"
)

// BranchPolicy is an environment's deployment_branch_policy; the zero value
// (GitHub's null) lets every branch deploy to the environment.
type BranchPolicy struct {
	ProtectedBranches    bool `json:"protected_branches"`
	CustomBranchPolicies bool `json:"custom_branch_policies"`
}

// Environment is a deployment environment of a repository.
type Environment struct {
	Name string
	// BranchPolicy is nil when any branch may deploy.
	BranchPolicy *BranchPolicy
}

// GetEnvironment reads environment name of r; flow.ErrNotFound if r has no
// such environment.
// https://docs.github.com/en/rest/deployments/environments#get-an-environment
func (c *Client) GetEnvironment(ctx context.Context, r Repo, name string) (Environment, error) {
	var out struct {
		Name         string        `json:"name"`
		BranchPolicy *BranchPolicy `json:"deployment_branch_policy"`
	}
	if _, resp, err := c.get(ctx, repoPath(r, "environments/%s", url.PathEscape(name)), &out, false); err != nil {
		return Environment{}, mapErr(fmt.Sprintf("read environment %s of %s", name, r), permActionsRead, resp, err)
	}
	return Environment{Name: out.Name, BranchPolicy: out.BranchPolicy}, nil
}

// PutEnvironment creates environment name of r, or updates it, so that only
// branches matching its custom branch policies may deploy to it. Only
// deployment_branch_policy is sent: reviewers and wait timers an
// administrator set stay as they are.
// https://docs.github.com/en/rest/deployments/environments#create-or-update-an-environment
func (c *Client) PutEnvironment(ctx context.Context, r Repo, name string) error {
	body := map[string]any{"deployment_branch_policy": BranchPolicy{CustomBranchPolicies: true}}
	resp, err := c.send(ctx, "PUT", repoPath(r, "environments/%s", url.PathEscape(name)), body, nil)
	return mapErr(fmt.Sprintf("write environment %s of %s", name, r), permAdminWrite, resp, err)
}

// BranchPattern is one custom deployment branch (or tag) policy.
type BranchPattern struct {
	Name string `json:"name"`
	Type string `json:"type"` // "branch" or "tag"
}

// BranchPolicies lists the custom deployment branch policies of environment
// env of r.
// https://docs.github.com/en/rest/deployments/branch-policies#list-deployment-branch-policies
func (c *Client) BranchPolicies(ctx context.Context, r Repo, env string) ([]BranchPattern, error) {
	var out []BranchPattern
	for page := 1; ; page++ {
		var resp struct {
			Total    int             `json:"total_count"`
			Policies []BranchPattern `json:"branch_policies"`
		}
		path := repoPath(r, "environments/%s/deployment-branch-policies?per_page=100&page=%d", url.PathEscape(env), page)
		if _, hr, err := c.get(ctx, path, &resp, false); err != nil {
			return nil, mapErr(fmt.Sprintf("read branch policies of environment %s of %s", env, r), permActionsRead, hr, err)
		}
		out = append(out, resp.Policies...)
		if len(resp.Policies) < 100 || len(out) >= resp.Total {
			return out, nil
		}
	}
}

// AddBranchPolicy lets branches matching pattern deploy to environment env
// of r. GitHub answers 303 for a pattern the environment already has (two
// setup-repo runs racing): the pattern is there, as asked, so that is not
// an error.
// https://docs.github.com/en/rest/deployments/branch-policies#create-a-deployment-branch-policy
func (c *Client) AddBranchPolicy(ctx context.Context, r Repo, env, pattern string) error {
	body := BranchPattern{Name: pattern, Type: "branch"}
	resp, err := c.send(ctx, "POST", repoPath(r, "environments/%s/deployment-branch-policies", url.PathEscape(env)), body, nil)
	if err != nil && resp != nil && resp.StatusCode == http.StatusSeeOther {
		return nil
	}
	return mapErr(fmt.Sprintf("add branch policy %s to environment %s of %s", pattern, env, r), permAdminWrite, resp, err)
}

// EnvVariables returns the variables of environment env of r (name → value).
// https://docs.github.com/en/rest/actions/variables#list-environment-variables
func (c *Client) EnvVariables(ctx context.Context, r Repo, env string) (map[string]string, error) {
	out := map[string]string{}
	for page := 1; ; page++ {
		var resp struct {
			Total     int `json:"total_count"`
			Variables []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"variables"`
		}
		path := repoPath(r, "environments/%s/variables?per_page=30&page=%d", url.PathEscape(env), page)
		if _, hr, err := c.get(ctx, path, &resp, false); err != nil {
			return nil, mapErr(fmt.Sprintf("read variables of environment %s of %s", env, r), permEnvRead, hr, err)
		}
		for _, v := range resp.Variables {
			out[v.Name] = v.Value
		}
		if len(resp.Variables) < 30 || len(out) >= resp.Total {
			return out, nil
		}
	}
}

// SetEnvVariable creates variable name of environment env of r (exists
// false) or changes its value (exists true).
// https://docs.github.com/en/rest/actions/variables#create-an-environment-variable
// https://docs.github.com/en/rest/actions/variables#update-an-environment-variable
func (c *Client) SetEnvVariable(ctx context.Context, r Repo, env, name, value string, exists bool) error {
	body := map[string]string{"name": name, "value": value}
	method, path := "POST", repoPath(r, "environments/%s/variables", url.PathEscape(env))
	if exists {
		method, path = "PATCH", repoPath(r, "environments/%s/variables/%s", url.PathEscape(env), url.PathEscape(name))
	}
	resp, err := c.send(ctx, method, path, body, nil)
	return mapErr(fmt.Sprintf("set variable %s of environment %s of %s", name, env, r), "environments:write", resp, err)
}

// Ruleset is a repository ruleset as the REST API shows it, limited to
// the fields setup-repo writes and doctor checks.
// https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset
type Ruleset struct {
	ID           int64             `json:"id,omitempty"`
	Name         string            `json:"name"`
	Target       string            `json:"target"`      // "branch"
	Enforcement  string            `json:"enforcement"` // "active", "evaluate" or "disabled"
	BypassActors []BypassActor     `json:"bypass_actors"`
	Conditions   RulesetConditions `json:"conditions"`
	Rules        []Rule            `json:"rules"`
}

// BypassActor may bypass a ruleset: for a GitHub App, ActorType
// "Integration" and ActorID the App's ID; BypassMode "always" or
// "pull_request" (only when merging a pull request).
type BypassActor struct {
	ActorID    int64  `json:"actor_id"`
	ActorType  string `json:"actor_type"`
	BypassMode string `json:"bypass_mode"`
}

// RulesetConditions selects the refs a ruleset applies to.
type RulesetConditions struct {
	RefName RefCondition `json:"ref_name"`
}

// RefCondition lists ref patterns ("refs/heads/tfpilot/*", "~DEFAULT_BRANCH").
type RefCondition struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

// Rule is one rule of a ruleset: its type ("creation", "update",
// "deletion", "pull_request", …) and parameters (nil for rules without).
type Rule struct {
	Type       string          `json:"type"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// Rulesets returns the rulesets defined on r itself (not those inherited
// from its organisation), each read in full: the list call leaves out
// conditions, rules and bypass actors.
// https://docs.github.com/en/rest/repos/rules#get-all-repository-rulesets
// https://docs.github.com/en/rest/repos/rules#get-a-repository-ruleset
func (c *Client) Rulesets(ctx context.Context, r Repo) ([]Ruleset, error) {
	var list []Ruleset
	if _, resp, err := c.get(ctx, repoPath(r, "rulesets?includes_parents=false&per_page=100"), &list, false); err != nil {
		return nil, mapErr("list rulesets of "+r.String(), permMetadataRead, resp, err)
	}
	out := make([]Ruleset, 0, len(list))
	for _, l := range list {
		var rs Ruleset
		if _, resp, err := c.get(ctx, repoPath(r, "rulesets/%d?includes_parents=false", l.ID), &rs, false); err != nil {
			return nil, mapErr(fmt.Sprintf("read ruleset %q of %s", l.Name, r), permMetadataRead, resp, err)
		}
		out = append(out, rs)
	}
	return out, nil
}

// PutRuleset creates rs on r (rs.ID 0) or replaces ruleset rs.ID with it.
// https://docs.github.com/en/rest/repos/rules#update-a-repository-ruleset
func (c *Client) PutRuleset(ctx context.Context, r Repo, rs Ruleset) error {
	method, path := "POST", repoPath(r, "rulesets")
	if rs.ID != 0 {
		method, path = "PUT", repoPath(r, "rulesets/%d", rs.ID)
	}
	rs.ID = 0 // not a field of the request
	resp, err := c.send(ctx, method, path, rs, nil)
	return mapErr(fmt.Sprintf("write ruleset %q of %s", rs.Name, r), permAdminWrite, resp, err)
}

// AppID returns the ID of the GitHub App with this slug (the actor_id of
// a ruleset's Integration bypass actor), and the permissions the App asks
// of its installations (name → read, write or admin).
// https://docs.github.com/en/rest/apps/apps#get-an-app
func (c *Client) AppID(ctx context.Context, slug string) (int64, map[string]string, error) {
	var out struct {
		ID          int64             `json:"id"`
		Permissions map[string]string `json:"permissions"`
	}
	if _, resp, err := c.get(ctx, "apps/"+url.PathEscape(slug), &out, false); err != nil {
		return 0, nil, mapErr("read GitHub App "+slug, permMetadataRead, resp, err)
	}
	return out.ID, out.Permissions, nil
}

// BotUserID returns the user ID of the bot user of the GitHub App with
// this slug, "<slug>[bot]": the actor and triggering_actor of the runs
// the App dispatches, and what TFPILOT_ACTOR_ID holds.
// https://docs.github.com/en/rest/users/users#get-a-user
func (c *Client) BotUserID(ctx context.Context, slug string) (int64, error) {
	login := slug + "[bot]"
	var out struct {
		ID int64 `json:"id"`
	}
	if _, resp, err := c.get(ctx, "users/"+url.PathEscape(login), &out, false); err != nil {
		return 0, mapErr("read user "+login, permMetadataRead, resp, err)
	}
	return out.ID, nil
}

// FileAtBase returns the content of path at the head of r's base branch;
// flow.ErrNotFound if the file does not exist there.
func (c *Client) FileAtBase(ctx context.Context, r Repo, path string) ([]byte, error) {
	_, treeSHA, err := c.branchHead(ctx, r, r.BaseBranch)
	if err != nil {
		return nil, err
	}
	t, err := c.tree(ctx, r, treeSHA)
	if err != nil {
		return nil, err
	}
	sha, ok := t.blobs[path]
	if !ok {
		return nil, fmt.Errorf("%s has no %s on %s: %w", r, path, r.BaseBranch, flow.ErrNotFound)
	}
	return c.blob(ctx, r, sha)
}
