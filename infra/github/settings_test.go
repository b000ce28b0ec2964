package github

import (
	"context"
	"testing"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestAddBranchPolicyTwice: GitHub answers 303 to a pattern the environment
// already has, as when two setup-repo runs race to add tfpilot/*. The
// pattern is there, which is what was asked, so it is not an error.
// https://docs.github.com/en/rest/deployments/branch-policies#create-a-deployment-branch-policy
func TestAddBranchPolicyTwice(t *testing.T) {
	f := ghfake.New(t)
	f.AddRepo("acme", "infra", "main", map[string]string{"README.md": "x\n"})
	s := ghfake.NewSettings(f)
	c, err := New(Options{HTTPClient: f.Client(), BaseURL: s.URL, Token: ghfake.AdminToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx, r := context.Background(), Repo{Owner: "acme", Name: "infra", BaseBranch: "main"}
	if err := c.PutEnvironment(ctx, r, "prod-apply"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.AddBranchPolicy(ctx, r, "prod-apply", "tfpilot/*"); err != nil {
			t.Errorf("AddBranchPolicy #%d: %v", i+1, err)
		}
	}
	ps, err := c.BranchPolicies(ctx, r, "prod-apply")
	if err != nil || len(ps) != 1 || ps[0].Name != "tfpilot/*" {
		t.Errorf("branch policies %+v, %v; want tfpilot/* once", ps, err)
	}
}
