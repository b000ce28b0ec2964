package tfcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// trustCondition is one condition of the GitHub roles' trust policy, as
// written in deploy/terraform/github.tf (expressions as source text).
type trustCondition struct {
	ForEach  string // of a dynamic "condition"; "" for a plain one
	Test     string
	Variable string
	Values   string
}

// githubTrustConditions returns the conditions of the statement in
// data.aws_iam_policy_document.github_assume.
func githubTrustConditions(t *testing.T, src []byte, filename string) []trustCondition {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %v", filename, diags)
	}
	text := func(e hclsyntax.Expression) string {
		return strings.TrimSpace(string(e.Range().SliceBytes(src)))
	}
	attr := func(b *hclsyntax.Body, name string) string {
		if a, ok := b.Attributes[name]; ok {
			return text(a.Expr)
		}
		return ""
	}
	var out []trustCondition
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "data" || len(b.Labels) != 2 || b.Labels[0] != "aws_iam_policy_document" || b.Labels[1] != "github_assume" {
			continue
		}
		for _, st := range b.Body.Blocks {
			if st.Type != "statement" {
				continue
			}
			for _, c := range st.Body.Blocks {
				switch {
				case c.Type == "condition":
					out = append(out, trustCondition{Test: attr(c.Body, "test"), Variable: attr(c.Body, "variable"), Values: attr(c.Body, "values")})
				case c.Type == "dynamic" && len(c.Labels) == 1 && c.Labels[0] == "condition":
					for _, content := range c.Body.Blocks {
						if content.Type == "content" {
							out = append(out, trustCondition{ForEach: attr(c.Body, "for_each"), Test: attr(content.Body, "test"),
								Variable: attr(content.Body, "variable"), Values: attr(content.Body, "values")})
						}
					}
				}
			}
		}
	}
	return out
}

// TestApplyRoleTrustPinsApplyYml: the apply role is trusted only for a job
// of apply.yml on a tfpilot/* branch (job_workflow_ref), on top of the
// <env>-apply environment (sub), so a workflow pushed under another name or
// run from another branch gets no apply credentials. terraform validate
// cannot run offline (it needs the AWS provider), so the test reads the
// conditions as written.
func TestApplyRoleTrustPinsApplyYml(t *testing.T) {
	path := filepath.Join(repoRoot(t), "deploy", "terraform", "github.tf")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []trustCondition{
		{Test: `"StringEquals"`, Variable: `"${local.github_oidc_url}:aud"`, Values: `["sts.amazonaws.com"]`},
		{Test: `"StringEquals"`, Variable: `"${local.github_oidc_url}:sub"`, Values: `["repo:${each.value.repository}:environment:${each.key}"]`},
		{
			ForEach:  `each.value.kind == "apply" ? [each.value.repository] : []`,
			Test:     `"StringLike"`,
			Variable: `"${local.github_oidc_url}:job_workflow_ref"`,
			Values:   `["${condition.value}/.github/workflows/apply.yml@refs/heads/tfpilot/*"]`,
		},
	}
	if diff := cmp.Diff(want, githubTrustConditions(t, src, path)); diff != "" {
		t.Errorf("trust conditions of the GitHub roles (-want +got):\n%s", diff)
	}
}
