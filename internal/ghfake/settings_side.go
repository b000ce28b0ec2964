package ghfake

// What a repository administrator changes in the settings pages, outside
// the API calls under test: tests use these to misconfigure a repository
// that setup-repo made right.

func (s *Settings) mustEnv(full, name string) *environment {
	rs := s.repos[full]
	if rs == nil || rs.envs[name] == nil {
		s.f.t.Fatalf("ghfake: %s has no environment %s", full, name)
	}
	return rs.envs[name]
}

// DeleteEnvironment deletes environment name of full ("owner/name").
func (s *Settings) DeleteEnvironment(full, name string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.mustEnv(full, name)
	delete(s.repos[full].envs, name)
}

// AllowAllBranches sets environment env of full to "No restriction": any
// branch may deploy to it.
func (s *Settings) AllowAllBranches(full, env string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	e := s.mustEnv(full, env)
	e.policy, e.patterns = nil, nil
}

// AddBranchPattern adds a custom deployment branch policy to env of full,
// such as "*" (every branch).
func (s *Settings) AddBranchPattern(full, env, pattern string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	e := s.mustEnv(full, env)
	s.nextID++
	e.patterns = append(e.patterns, branchPattern{ID: s.nextID, Name: pattern, Type: "branch"})
}

// DeleteVariable deletes variable name of environment env of full.
func (s *Settings) DeleteVariable(full, env, name string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	delete(s.mustEnv(full, env).vars, name)
}

// Variables returns the variables of environment env of full.
func (s *Settings) Variables(full, env string) map[string]string {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return clone(s.mustEnv(full, env).vars)
}

// DeleteRuleset deletes the ruleset called name from full.
func (s *Settings) DeleteRuleset(full, name string) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	rs := s.repos[full]
	for i := 0; rs != nil && i < len(rs.rulesets); i++ {
		r := rs.rulesets[i]
		if r.Name == name {
			rs.rulesets = append(rs.rulesets[:i], rs.rulesets[i+1:]...)
			return
		}
	}
	s.f.t.Fatalf("ghfake: %s has no ruleset %q", full, name)
}

// EditBypassActors replaces the bypass actors of ruleset name of full.
func (s *Settings) EditBypassActors(full, name string, actors []BypassActor) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for i := 0; s.repos[full] != nil && i < len(s.repos[full].rulesets); i++ {
		if r := s.repos[full].rulesets[i]; r.Name == name {
			r.BypassActors = actors
			return
		}
	}
	s.f.t.Fatalf("ghfake: %s has no ruleset %q", full, name)
}
