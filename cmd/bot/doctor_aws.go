package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// githubOIDC is the issuer of GitHub Actions' OIDC tokens; IAM names its
// claims <githubOIDC>:<claim> in conditions.
const githubOIDC = "token.actions.githubusercontent.com"

// awsLoader loads the AWS configuration doctor reads IAM with: in main the
// default chain (loadAWSConfig), in tests a fake's.
type awsLoader func(context.Context) (aws.Config, error)

// loadAWSConfig loads the default AWS configuration chain (AWS_*
// variables, shared config, web identity, container or instance role).
func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx)
}

// iamAPI is the part of the IAM client doctor calls.
type iamAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

var _ iamAPI = (*iam.Client)(nil)

// roleRef is the role a GitHub environment's jobs assume (its AWS_ROLE_ARN).
type roleRef struct{ env, arn string }

// newIAM returns an IAM client built from load's configuration, or, when
// there are no AWS credentials, why the trust is not checked.
func newIAM(ctx context.Context, load awsLoader) (iamAPI, string) {
	if load == nil {
		return nil, "no AWS configuration"
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cfg, err := load(ctx)
	if err != nil {
		return nil, fmt.Sprintf("the AWS configuration cannot be loaded (%v)", err)
	}
	if cfg.Credentials == nil {
		return nil, "no AWS credentials"
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, "no AWS credentials (AWS_* variables, shared config, web identity or instance role)"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // IAM is global; the aws partition signs it there
	}
	return iam.NewFromConfig(cfg), ""
}

// checkTrusts reads the trust policy of each role and checks it lets only
// repo's jobs in the role's GitHub environment (and, for <env>-apply, only
// apply.yml on tfpilot/*) assume it. notes are the roles it could not read
// with these credentials, which are not problems.
func checkTrusts(ctx context.Context, c iamAPI, repo string, roles []roleRef) (out []problem, notes []string) {
	for _, r := range roles {
		a, err := arn.Parse(r.arn)
		if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			out = append(out, problem{fmt.Sprintf("%s: AWS_ROLE_ARN %q is not an IAM role ARN", r.env, r.arn),
				fmt.Sprintf("set it to the ARN of the %s role deploy/terraform made (arn:aws:iam::ACCOUNT:role/NAME)", r.env)})
			continue
		}
		name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
		got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		var apiErr smithy.APIError
		var noSuch *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &noSuch):
			notes = append(notes, fmt.Sprintf("the account of doctor's AWS credentials has no role %s: the trust of %s (%s) is not checked; run doctor with credentials of account %s",
				name, r.arn, r.env, a.AccountID))
			continue
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDenied":
			notes = append(notes, fmt.Sprintf("doctor's AWS credentials may not read role %s (AccessDenied): its trust (%s) is not checked; allow them iam:GetRole on it",
				r.arn, r.env))
			continue
		case err != nil:
			out = append(out, problem{fmt.Sprintf("cannot check the trust of %s (%s): %v", r.arn, r.env, err),
				"check doctor's AWS credentials and network, then run bot doctor again"})
			continue
		}
		if have := aws.ToString(got.Role.Arn); have != r.arn {
			notes = append(notes, fmt.Sprintf("doctor's AWS credentials read %s, not %s: the trust of %s is not checked; run doctor with credentials of account %s",
				have, r.arn, r.env, a.AccountID))
			continue
		}
		doc, err := url.PathUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
		if err != nil {
			out = append(out, problem{fmt.Sprintf("the trust policy of %s (%s) cannot be decoded: %v", r.arn, r.env, err),
				"check the role in the IAM console, then run bot doctor again"})
			continue
		}
		out = append(out, checkTrust(repo, r, doc)...)
	}
	return out, notes
}

// checkTrust checks one role's trust policy (JSON): every statement that
// allows assuming it trusts only GitHub's OIDC provider, with aud, sub and
// (for <env>-apply) job_workflow_ref pinned as deploy/terraform/github.tf
// writes them.
func checkTrust(repo string, r roleRef, doc string) []problem {
	role := fmt.Sprintf("role %s (AWS_ROLE_ARN of %s)", r.arn, r.env)
	tfFix := " (deploy/terraform/github.tf writes this trust)"
	var pol trustPolicy
	if err := json.Unmarshal([]byte(doc), &pol); err != nil {
		return []problem{{fmt.Sprintf("the trust policy of %s is not a policy: %v", role, err), "give the role the trust deploy/terraform/github.tf writes"}}
	}
	wantSub := "repo:" + repo + ":environment:" + r.env
	wantRef := repo + "/.github/workflows/apply.yml@refs/heads/tfpilot/*"
	subFix := fmt.Sprintf("in the role's trust policy, require StringEquals %s:sub = %q%s", githubOIDC, wantSub, tfFix)
	refFix := fmt.Sprintf("in the role's trust policy, require StringLike %s:job_workflow_ref = %q%s", githubOIDC, wantRef, tfFix)
	var out []problem
	seen := map[string]bool{}
	add := func(what, fix string) {
		if !seen[what] {
			seen[what] = true
			out = append(out, problem{what, fix})
		}
	}
	trusted := false
	for _, s := range pol.Statement {
		if s.Effect != "Allow" {
			continue // a Deny only narrows who may assume the role
		}
		github := false
		for _, p := range s.Principal.others() {
			add(fmt.Sprintf("%s also trusts %s: tokens that are not GitHub's can assume it", role, p),
				"remove that principal from the role's trust policy"+tfFix)
		}
		for _, f := range s.Principal.m["federated"] {
			if strings.HasSuffix(f, ":oidc-provider/"+githubOIDC) {
				github = true
			} else {
				add(fmt.Sprintf("%s also trusts identity provider %s: its tokens can assume it", role, f),
					"remove that principal from the role's trust policy"+tfFix)
			}
		}
		if !github {
			continue
		}
		trusted = true
		if bad, ok := s.pinned("aud", func(v string) bool { return v == "sts.amazonaws.com" }); !ok || len(bad) > 0 {
			add(fmt.Sprintf("%s does not pin %s:aud to sts.amazonaws.com: a GitHub token meant for another audience can assume it", role, githubOIDC),
				fmt.Sprintf("in the role's trust policy, require StringEquals %s:aud = \"sts.amazonaws.com\"%s", githubOIDC, tfFix))
		}
		bad, ok := s.pinned("sub", func(v string) bool { return strings.EqualFold(v, wantSub) })
		if !ok && len(bad) == 0 {
			add(fmt.Sprintf("%s does not pin %s:sub: a workflow of any repository can assume it", role, githubOIDC), subFix)
		}
		for _, v := range bad {
			add(fmt.Sprintf("%s accepts sub %q: a workflow of another repository or environment can assume it", role, v), subFix)
		}
		if strings.HasSuffix(r.env, "-apply") {
			bad, ok := s.pinned("job_workflow_ref", func(v string) bool { return strings.EqualFold(v, wantRef) })
			if !ok && len(bad) == 0 {
				add(fmt.Sprintf("%s does not pin %s:job_workflow_ref: a workflow pushed under another name, or apply.yml from another branch, that names %s can assume it",
					role, githubOIDC, r.env), refFix)
			}
			for _, v := range bad {
				add(fmt.Sprintf("%s accepts job_workflow_ref %q: a workflow other than apply.yml on tfpilot/* can assume it", role, v), refFix)
			}
		}
	}
	if !trusted {
		add(fmt.Sprintf("%s does not trust GitHub's OIDC provider (%s): %s jobs cannot assume it", role, githubOIDC, r.env),
			"give the role the trust deploy/terraform/github.tf writes")
	}
	return out
}

// trustPolicy is the part of an IAM policy document checkTrust reads.
type trustPolicy struct {
	Statement oneOrMany[trustStatement]
}

// trustStatement is one statement of a trust policy.
type trustStatement struct {
	Effect    string
	Principal principal
	// Condition is operator → key → values.
	Condition map[string]map[string]oneOrMany[jsonString]
}

// pinned says whether a StringEquals or StringLike condition on GitHub's
// claim allows only values ok accepts (so a wildcard pins only where ok
// wants it), and otherwise returns the values ok refuses that the
// statement's conditions on the claim accept. Other operators
// (…IfExists, ForAnyValue:…) pass a token without the claim, so they pin
// nothing.
func (s trustStatement) pinned(claim string, ok func(string) bool) (bad []string, pinned bool) {
	key := githubOIDC + ":" + claim
	for op, conds := range s.Condition {
		for k, vals := range conds {
			if !strings.EqualFold(k, key) {
				continue
			}
			exact := strings.EqualFold(op, "StringEquals") || strings.EqualFold(op, "StringLike")
			var others []string
			for _, v := range vals {
				if !ok(string(v)) {
					others = append(others, string(v))
				}
			}
			if exact && len(others) == 0 && len(vals) > 0 {
				return nil, true // conditions are ANDed: this one alone pins the claim
			}
			bad = append(bad, others...)
		}
	}
	slices.Sort(bad)
	return bad, false
}

// principal is a statement's Principal: "*" or type → identifiers, with
// the types lower-cased.
type principal struct {
	any bool
	m   map[string][]string
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.any = s == "*"
		return nil
	}
	var m map[string]oneOrMany[jsonString]
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	p.m = map[string][]string{}
	for k, vs := range m {
		for _, v := range vs {
			p.m[strings.ToLower(k)] = append(p.m[strings.ToLower(k)], string(v))
		}
	}
	return nil
}

// others returns the principals that let anyone in: "*" itself or as an
// AWS principal. (Other AWS or service principals are the operator's
// choice, not a way around GitHub's environments.)
func (p principal) others() []string {
	if p.any {
		return []string{`"*" (anyone)`}
	}
	for _, a := range p.m["aws"] {
		if a == "*" {
			return []string{`AWS "*" (anyone)`}
		}
	}
	return nil
}

// oneOrMany is a JSON value that is either one T or an array of them, as
// IAM policies allow for statements, principals and condition values.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
		return json.Unmarshal(b, (*[]T)(o))
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = oneOrMany[T]{one}
	return nil
}

// jsonString is a condition value: a string, or a number or boolean kept
// as its JSON text.
type jsonString string

func (s *jsonString) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		*s = jsonString(str)
		return nil
	}
	*s = jsonString(b)
	return nil
}
