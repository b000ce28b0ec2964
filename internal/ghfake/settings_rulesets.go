package ghfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// Repository rulesets of Settings.

// https://docs.github.com/en/rest/repos/rules#get-all-repository-rulesets
func (s *Settings) listRulesets(c *call) {
	rs := s.settingsOf(c)
	if rs == nil {
		return
	}
	out := []map[string]any{}
	for _, r := range rs.rulesets {
		out = append(out, map[string]any{"id": r.ID, "name": r.Name, "target": r.Target, "enforcement": r.Enforcement,
			"source_type": "Repository", "source": c.params["owner"] + "/" + c.params["repo"]})
	}
	c.json(http.StatusOK, out)
}

func (s *Settings) rulesetJSON(c *call, r *ruleset) map[string]any {
	b, _ := json.Marshal(r)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["source_type"], m["source"] = "Repository", c.params["owner"]+"/"+c.params["repo"]
	m["current_user_can_bypass"] = "never"
	return m
}

// https://docs.github.com/en/rest/repos/rules#get-a-repository-ruleset
func (s *Settings) getRuleset(c *call) {
	if r := s.ruleset(c); r != nil {
		c.json(http.StatusOK, s.rulesetJSON(c, r))
	}
}

func (s *Settings) ruleset(c *call) *ruleset {
	rs := s.settingsOf(c)
	if rs == nil {
		return nil
	}
	for _, r := range rs.rulesets {
		if strconv.FormatInt(r.ID, 10) == c.params["id"] {
			return r
		}
	}
	c.error(http.StatusNotFound, "Not Found")
	return nil
}

// decodeRuleset reads a create or update body strictly and validates the
// values the API documents, answering 422 for others.
func (s *Settings) decodeRuleset(c *call, rs *repoSettings, self *ruleset) (*ruleset, bool) {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	var req struct {
		Name         string            `json:"name"`
		Target       string            `json:"target"`
		Enforcement  string            `json:"enforcement"`
		BypassActors []BypassActor     `json:"bypass_actors"`
		Conditions   json.RawMessage   `json:"conditions"`
		Rules        []json.RawMessage `json:"rules"`
	}
	if err := dec.Decode(&req); err != nil {
		c.f.t.Errorf("ghfake: %s %s: bad ruleset %s: %v", c.r.Method, c.r.URL.Path, c.body, err)
		c.error(http.StatusBadRequest, "Problems parsing JSON")
		return nil, false
	}
	r := ruleset{Name: req.Name, Target: req.Target, Enforcement: req.Enforcement, BypassActors: req.BypassActors,
		Conditions: req.Conditions, Rules: req.Rules}
	invalid := func(msg string) (*ruleset, bool) {
		c.error(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"message": msg})
		return nil, false
	}
	switch {
	case r.Name == "":
		return invalid("name is required")
	case !slices.Contains([]string{"active", "evaluate", "disabled"}, r.Enforcement):
		return invalid("enforcement must be active, evaluate or disabled")
	case r.Target != "" && !slices.Contains([]string{"branch", "tag", "push"}, r.Target):
		return invalid("target must be branch, tag or push")
	}
	for _, a := range r.BypassActors {
		if !slices.Contains([]string{"Integration", "OrganizationAdmin", "RepositoryRole", "Team", "DeployKey"}, a.ActorType) ||
			!slices.Contains([]string{"always", "pull_request"}, a.BypassMode) {
			return invalid(fmt.Sprintf("invalid bypass actor %+v", a))
		}
	}
	for _, other := range rs.rulesets {
		if other != self && other.Name == r.Name {
			return invalid("Name must be unique")
		}
	}
	return &r, true
}

// https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset
func (s *Settings) createRuleset(c *call) {
	rs := s.settingsOf(c)
	if rs == nil {
		return
	}
	r, ok := s.decodeRuleset(c, rs, nil)
	if !ok {
		return
	}
	s.nextID++
	r.ID = s.nextID
	rs.rulesets = append(rs.rulesets, r)
	c.json(http.StatusCreated, s.rulesetJSON(c, r))
}

// https://docs.github.com/en/rest/repos/rules#update-a-repository-ruleset
func (s *Settings) putRuleset(c *call) {
	old := s.ruleset(c)
	if old == nil {
		return
	}
	r, ok := s.decodeRuleset(c, s.repos[c.params["owner"]+"/"+c.params["repo"]], old)
	if !ok {
		return
	}
	r.ID = old.ID
	*old = *r
	c.json(http.StatusOK, s.rulesetJSON(c, old))
}
