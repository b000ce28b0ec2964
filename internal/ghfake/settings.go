package ghfake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
)

// AdminToken is the token of a repository administrator: the only token
// Settings lets change environments, their variables and rulesets (GitHub's
// Administration: write). The serving App's installation tokens and Token
// are refused those writes with 403, as an App without that permission is.
const AdminToken = "ghp_fakeadmin0000000000000000000000000"

// Settings serves a repository's settings in front of a Fake: deployment
// environments with their branch policies and variables, rulesets, GitHub
// Apps with their installations, and users. Every other request goes to
// the Fake, so a client pointed at Settings.URL sees one GitHub. Answers
// follow the shapes of the REST API pages cited on each handler; state
// lives under the Fake's lock.
type Settings struct {
	// URL is the API base URL, ending with "/".
	URL string

	f      *Fake
	routes []route
	nextID int64
	repos  map[string]*repoSettings
	apps   map[string]*app // by slug
}

type repoSettings struct {
	envs     map[string]*environment
	rulesets []*ruleset
}

type environment struct {
	id       int64
	name     string
	policy   *branchPolicy // nil: every branch may deploy
	patterns []branchPattern
	vars     map[string]string
}

type branchPolicy struct {
	ProtectedBranches    bool `json:"protected_branches"`
	CustomBranchPolicies bool `json:"custom_branch_policies"`
}

type branchPattern struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// ruleset is the writable part of a repository ruleset, as sent.
// https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset
type ruleset struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	Target       string            `json:"target"`
	Enforcement  string            `json:"enforcement"`
	BypassActors []BypassActor     `json:"bypass_actors"`
	Conditions   json.RawMessage   `json:"conditions"`
	Rules        []json.RawMessage `json:"rules"`
}

// BypassActor is one bypass_actors entry of a ruleset.
type BypassActor struct {
	ActorID    int64  `json:"actor_id"`
	ActorType  string `json:"actor_type"`
	BypassMode string `json:"bypass_mode"`
}

type app struct {
	id, installation int64
	slug             string
	perms            map[string]string
}

// NewSettings puts repository settings in front of f. Use its URL instead
// of f.URL; the Fake's own helpers keep working.
func NewSettings(f *Fake) *Settings {
	s := &Settings{f: f, nextID: 5000, repos: map[string]*repoSettings{}, apps: map[string]*app{}}
	s.routes = []route{
		{method: "GET", pattern: "app/installations/{id}", h: s.getInstallation},
		{method: "GET", pattern: "apps/{slug}", h: s.getApp},
		{method: "GET", pattern: "users/{login}", h: s.getUser},
		{method: "GET", pattern: "repos/{owner}/{repo}/environments/{env}", h: s.getEnv},
		{method: "PUT", pattern: "repos/{owner}/{repo}/environments/{env}", h: s.putEnv},
		{method: "GET", pattern: "repos/{owner}/{repo}/environments/{env}/deployment-branch-policies", h: s.listPatterns},
		{method: "POST", pattern: "repos/{owner}/{repo}/environments/{env}/deployment-branch-policies", h: s.addPattern},
		{method: "GET", pattern: "repos/{owner}/{repo}/environments/{env}/variables", h: s.listVars},
		{method: "POST", pattern: "repos/{owner}/{repo}/environments/{env}/variables", h: s.createVar},
		{method: "PATCH", pattern: "repos/{owner}/{repo}/environments/{env}/variables/{name}", h: s.updateVar},
		{method: "GET", pattern: "repos/{owner}/{repo}/rulesets", h: s.listRulesets},
		{method: "POST", pattern: "repos/{owner}/{repo}/rulesets", h: s.createRuleset},
		{method: "GET", pattern: "repos/{owner}/{repo}/rulesets/{id}", h: s.getRuleset},
		{method: "PUT", pattern: "repos/{owner}/{repo}/rulesets/{id}", h: s.putRuleset},
	}
	f.mu.Lock()
	f.tokens[AdminToken] = true
	f.mu.Unlock()
	srv := httptest.NewServer(s)
	f.t.Cleanup(srv.Close)
	s.URL = srv.URL + "/"
	return s
}

// ServeHTTP serves a settings endpoint, or hands the request to the Fake.
func (s *Settings) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	for i := range s.routes {
		rt := &s.routes[i]
		params, ok := rt.match(r.Method, path)
		if !ok {
			continue
		}
		body, _ := io.ReadAll(r.Body)
		if rt.pattern == "app/installations/{id}" {
			s.checkJWT(r, params["id"])
		} else {
			s.f.checkHeaders(r, rt, body)
		}
		s.f.mu.Lock()
		defer s.f.mu.Unlock()
		s.f.counts[r.Method+" /"+rt.pattern]++
		c := &call{f: s.f, w: w, r: r, params: params, body: body}
		if r.Method != http.MethodGet && !s.admin(r) {
			// What GitHub answers an installation token without
			// Administration: write.
			c.error(http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		rt.h(c)
		return
	}
	s.f.ServeHTTP(w, r)
}

func (s *Settings) admin(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	return auth == "Bearer "+AdminToken || auth == "token "+AdminToken
}

// checkJWT fails the test unless the request is authenticated as the App
// that owns installation id: GitHub answers app/ endpoints only to the
// App's JWT (iss = its App ID), never to an installation token.
func (s *Settings) checkJWT(r *http.Request, id string) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		s.f.t.Errorf("ghfake: %s %s: not an App JWT", r.Method, r.URL.Path)
		return
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iss json.RawMessage `json:"iss"`
	}
	if err == nil {
		err = json.Unmarshal(payload, &claims)
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for _, a := range s.apps {
		if strconv.FormatInt(a.installation, 10) == id && strconv.FormatInt(a.id, 10) == iss {
			return
		}
	}
	s.f.t.Errorf("ghfake: %s %s: JWT issuer %q is not the App of installation %s (%v)", r.Method, r.URL.Path, iss, id, err)
}

// AddApp registers a GitHub App: its slug, App ID, one installation and
// the installation's permissions ("contents": "write", …). Its bot user
// is "<slug>[bot]"; for slug "tfpilot" that is AppLogin with AppUserID,
// the actor of the runs the Fake starts on dispatch.
func (s *Settings) AddApp(slug string, appID, installationID int64, perms map[string]string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.apps[slug] = &app{id: appID, installation: installationID, slug: slug, perms: clone(perms)}
}

// SetPermissions changes the permissions of the App with this slug, as an
// owner accepting new permissions in the App's settings would.
func (s *Settings) SetPermissions(slug string, perms map[string]string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.apps[slug].perms = clone(perms)
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func botUserID(login string) int64 {
	if login == AppLogin {
		return AppUserID
	}
	return userID(login)
}

// https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app
func (s *Settings) getInstallation(c *call) {
	for _, a := range s.apps {
		if strconv.FormatInt(a.installation, 10) == c.params["id"] {
			c.json(http.StatusOK, map[string]any{"id": a.installation, "app_id": a.id, "app_slug": a.slug,
				"target_type": "Organization", "permissions": a.perms, "events": []string{}})
			return
		}
	}
	c.error(http.StatusNotFound, "Not Found")
}

// https://docs.github.com/en/rest/apps/apps#get-an-app
func (s *Settings) getApp(c *call) {
	a := s.apps[c.params["slug"]]
	if a == nil {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	c.json(http.StatusOK, map[string]any{"id": a.id, "slug": a.slug, "name": a.slug, "permissions": a.perms})
}

// https://docs.github.com/en/rest/users/users#get-a-user
func (s *Settings) getUser(c *call) {
	login := c.params["login"]
	if slug, ok := strings.CutSuffix(login, "[bot]"); ok {
		if s.apps[slug] == nil {
			c.error(http.StatusNotFound, "Not Found")
			return
		}
		c.json(http.StatusOK, map[string]any{"login": login, "id": botUserID(login), "type": "Bot"})
		return
	}
	c.json(http.StatusOK, map[string]any{"login": login, "id": userID(login), "type": "User"})
}

// settingsOf returns the settings of the addressed repository, or answers
// 404 when the Fake has no such repository.
func (s *Settings) settingsOf(c *call) *repoSettings {
	if c.repo() == nil {
		return nil
	}
	full := c.params["owner"] + "/" + c.params["repo"]
	rs := s.repos[full]
	if rs == nil {
		rs = &repoSettings{envs: map[string]*environment{}}
		s.repos[full] = rs
	}
	return rs
}

func (s *Settings) env(c *call) *environment {
	rs := s.settingsOf(c)
	if rs == nil {
		return nil
	}
	e := rs.envs[c.params["env"]]
	if e == nil {
		c.error(http.StatusNotFound, "Not Found")
	}
	return e
}

func envJSON(e *environment) map[string]any {
	var policy any // null: all branches
	if e.policy != nil {
		policy = e.policy
	}
	return map[string]any{"id": e.id, "name": e.name, "protection_rules": []any{}, "deployment_branch_policy": policy}
}

// https://docs.github.com/en/rest/deployments/environments#get-an-environment
func (s *Settings) getEnv(c *call) {
	if e := s.env(c); e != nil {
		c.json(http.StatusOK, envJSON(e))
	}
}

// https://docs.github.com/en/rest/deployments/environments#create-or-update-an-environment
func (s *Settings) putEnv(c *call) {
	rs := s.settingsOf(c)
	if rs == nil {
		return
	}
	var req struct {
		WaitTimer         *int            `json:"wait_timer"`
		PreventSelfReview *bool           `json:"prevent_self_review"`
		Reviewers         json.RawMessage `json:"reviewers"`
		BranchPolicy      *branchPolicy   `json:"deployment_branch_policy"`
	}
	if len(c.body) > 0 && !c.decode(&req) {
		return
	}
	if p := req.BranchPolicy; p != nil && p.ProtectedBranches == p.CustomBranchPolicies {
		c.error(http.StatusUnprocessableEntity, "Validation Failed",
			map[string]string{"message": "exactly one of protected_branches and custom_branch_policies must be true"})
		return
	}
	name := c.params["env"]
	e := rs.envs[name]
	if e == nil {
		s.nextID++
		e = &environment{id: s.nextID, name: name, vars: map[string]string{}}
		rs.envs[name] = e
	}
	e.policy = req.BranchPolicy
	if e.policy == nil || !e.policy.CustomBranchPolicies {
		e.patterns = nil // GitHub drops the custom policies with the setting
	}
	c.json(http.StatusOK, envJSON(e))
}

// https://docs.github.com/en/rest/deployments/branch-policies#list-deployment-branch-policies
func (s *Settings) listPatterns(c *call) {
	if e := s.env(c); e != nil {
		c.json(http.StatusOK, map[string]any{"total_count": len(e.patterns), "branch_policies": slices.Clone(e.patterns)})
	}
}

// https://docs.github.com/en/rest/deployments/branch-policies#create-a-deployment-branch-policy
func (s *Settings) addPattern(c *call) {
	e := s.env(c)
	if e == nil {
		return
	}
	var p branchPattern
	if !c.decode(&struct {
		Name *string `json:"name"`
		Type *string `json:"type"`
	}{&p.Name, &p.Type}) {
		return
	}
	if e.policy == nil || !e.policy.CustomBranchPolicies {
		c.error(http.StatusNotFound, "Not Found") // custom policies are off
		return
	}
	for _, q := range e.patterns {
		if q.Name == p.Name && q.Type == p.Type {
			c.w.WriteHeader(http.StatusSeeOther) // "the same pattern already exists"
			return
		}
	}
	s.nextID++
	p.ID = s.nextID
	if p.Type == "" {
		p.Type = "branch"
	}
	e.patterns = append(e.patterns, p)
	c.json(http.StatusOK, p)
}

// https://docs.github.com/en/rest/actions/variables#list-environment-variables
func (s *Settings) listVars(c *call) {
	e := s.env(c)
	if e == nil {
		return
	}
	names := make([]string, 0, len(e.vars))
	for n := range e.vars {
		names = append(names, n)
	}
	slices.Sort(names)
	vars := []map[string]string{}
	for _, n := range names {
		vars = append(vars, map[string]string{"name": n, "value": e.vars[n]})
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(vars), "variables": vars})
}

type variableBody struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// https://docs.github.com/en/rest/actions/variables#create-an-environment-variable
func (s *Settings) createVar(c *call) {
	e := s.env(c)
	var v variableBody
	if e == nil || !c.decode(&v) {
		return
	}
	if _, ok := e.vars[v.Name]; ok {
		c.error(http.StatusConflict, "Already exists - Variable already exists")
		return
	}
	e.vars[v.Name] = v.Value
	c.json(http.StatusCreated, map[string]any{})
}

// https://docs.github.com/en/rest/actions/variables#update-an-environment-variable
func (s *Settings) updateVar(c *call) {
	e := s.env(c)
	var v variableBody
	if e == nil || !c.decode(&v) {
		return
	}
	if _, ok := e.vars[c.params["name"]]; !ok {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	delete(e.vars, c.params["name"])
	e.vars[v.Name] = v.Value
	c.noContent()
}
