package main

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestSetupRepoRefusesUnsafeRuns: setup-repo run the ways a careless
// operator might. Each is refused with what to do instead, before anything
// is written: with the serving credentials as the admin token, for an App
// that could lift the guardrails itself, or for a project the policy does
// not have.
func TestSetupRepoRefusesUnsafeRuns(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		perms map[string]string // the App's permissions, when not servingPerms
		args  []string
		want  string
		// github: refused by GitHub on the first write (404), not by
		// setup-repo, so one write was tried.
		github bool
	}{
		{
			name: "admin token is the serving GITHUB_TOKEN",
			vars: map[string]string{adminTokenVar: ghfake.AdminToken, "GITHUB_TOKEN": ghfake.AdminToken},
			want: adminTokenVar + " is GITHUB_TOKEN, the token TfPilot serves with",
		},
		{
			name: "admin token is an App installation token",
			vars: map[string]string{adminTokenVar: "ghs_0123456789abcdefghijklmnopqrstuvwxyz"},
			want: adminTokenVar + " is a GitHub App installation token (ghs_…)",
		},
		{
			name:  "TfPilot's App asks for Administration: write",
			vars:  map[string]string{adminTokenVar: ghfake.AdminToken},
			perms: map[string]string{"contents": "write", "pull_requests": "write", "actions": "write", "metadata": "read", "administration": "write"},
			want:  "GitHub App tfpilot asks for Administration: write, so it (or whoever has its key) could remove the rulesets",
		},
		{
			name: "a project the policy does not have",
			vars: map[string]string{adminTokenVar: ghfake.AdminToken},
			args: []string{"--project", "payments"},
			want: `the policy has no project "payments" (it has: shop)`,
		},
		{
			name:   "a repository GitHub does not have",
			vars:   map[string]string{adminTokenVar: ghfake.AdminToken},
			args:   []string{"--repo", "acme/unknown", "--envs", "dev"},
			want:   "write environment dev-plan of acme/unknown: Not Found",
			github: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newGuardWorld(t)
			if tt.perms != nil {
				w.s.SetPermissions("tfpilot", tt.perms)
			}
			args := append([]string{"setup-repo", "--app-slug", "tfpilot"}, tt.args...)
			if tt.args == nil {
				args = append(args, "--project", "shop")
			}
			code, out := w.bot(t, tt.vars, args...)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want a refusal containing %q; output:\n%s", code, tt.want, out)
			}
			if n := writes(w.f); len(n) != 0 && !tt.github {
				t.Errorf("setup-repo wrote: %v", n)
			}
		})
	}
}

// TestSetupRepoConcurrently: two operators run setup-repo on a fresh
// repository at once. GitHub refuses what the other wrote first (a second
// ruleset of the same name, a variable that now exists), so a run may fail
// saying which write; none leaves the repository half-guarded for good: a
// third run completes it and doctor then finds nothing.
func TestSetupRepoConcurrently(t *testing.T) {
	w := newGuardWorld(t)
	var wg sync.WaitGroup
	codes, outs := make([]int, 2), make([]string, 2)
	for i := range 2 {
		wg.Go(func() { codes[i], outs[i] = w.setupRepo(t) })
	}
	wg.Wait()
	for i := range 2 {
		t.Logf("concurrent setup-repo %d: exit %d\n%s", i, codes[i], outs[i])
		if codes[i] != 0 && !strings.Contains(outs[i], "acme/infra") {
			t.Errorf("concurrent setup-repo %d: exit %d without naming what failed:\n%s", i, codes[i], outs[i])
		}
	}
	if code, out := w.setupRepo(t); code != 0 {
		t.Fatalf("setup-repo after the concurrent runs: exit %d:\n%s", code, out)
	}
	code, out := w.doctorApp(t)
	if diff := cmp.Diff([]string(nil), problems(out)); diff != "" || code != 0 {
		t.Errorf("doctor after concurrent setup-repo runs: exit %d, problems (-want +got):\n%s\n%s", code, diff, out)
	}
}
