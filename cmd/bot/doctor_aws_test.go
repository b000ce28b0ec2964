package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// fakeIAM answers IAM's query API for one account, GetRole only: a POST of
// a SigV4-signed form (Action=GetRole, Version=2010-05-08, RoleName), XML
// answers with the trust policy URL-encoded, AccessDenied or NoSuchEntity
// as IAM's API reference describes
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html).
type fakeIAM struct {
	t       *testing.T
	url     string
	account string

	mu     sync.Mutex
	trusts map[string]string // role name → trust policy (JSON)
	denied bool              // every GetRole answers AccessDenied
	calls  map[string]int    // role name → GetRole calls
}

func newFakeIAM(t *testing.T) *fakeIAM {
	f := &fakeIAM{t: t, account: "1", trusts: map[string]string{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// loader is the AWS configuration of credentials of f's account.
func (f *fakeIAM) loader() awsLoader {
	return func(context.Context) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.url),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}, nil
	}
}

func (f *fakeIAM) setTrust(role string, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trusts[role] = string(b)
}

func (f *fakeIAM) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
			code, xmlText(msg))
	}
	auth := r.Header.Get("Authorization")
	if r.Method != http.MethodPost || r.URL.Path != "/" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") ||
		!strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/us-east-1/iam/aws4_request") {
		f.t.Errorf("IAM request %s %s, Content-Type %q, Authorization %q: not a signed query API call",
			r.Method, r.URL.Path, r.Header.Get("Content-Type"), auth)
		fail(http.StatusBadRequest, "InvalidAction", "not a query API call")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "GetRole" || r.PostForm.Get("Version") != "2010-05-08" {
		f.t.Errorf("IAM call %v (%v): doctor calls only GetRole", r.PostForm, err)
		fail(http.StatusBadRequest, "InvalidAction", "unexpected action")
		return
	}
	name := r.PostForm.Get("RoleName")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	doc, ok := f.trusts[name]
	switch {
	case f.denied:
		fail(http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/doctor is not authorized to perform: iam:GetRole on resource: role %s", f.account, name))
	case !ok:
		fail(http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.")
	default:
		// IAM returns the policy URL-encoded per RFC 3986 (spaces as %20).
		enc := strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>`+
			`<Path>/</Path><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument><RoleId>AROAFAKE%s</RoleId><RoleName>%s</RoleName>`+
			`<Arn>arn:aws:iam::%s:role/%s</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate><MaxSessionDuration>3600</MaxSessionDuration>`+
			`</Role></GetRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetRoleResponse>`,
			xmlText(enc), xmlText(name), xmlText(name), f.account, xmlText(name))
	}
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// goodTrust is the trust deploy/terraform/github.tf writes for GitHub
// environment env of acme/infra.
func goodTrust(env string) map[string]any {
	cond := map[string]any{"StringEquals": map[string]any{
		githubOIDC + ":aud": "sts.amazonaws.com",
		githubOIDC + ":sub": "repo:acme/infra:environment:" + env,
	}}
	if strings.HasSuffix(env, "-apply") {
		cond["StringLike"] = map[string]any{githubOIDC + ":job_workflow_ref": "acme/infra/.github/workflows/apply.yml@refs/heads/tfpilot/*"}
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "GitHubEnvironment", "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
		"Principal": map[string]any{"Federated": "arn:aws:iam::1:oidc-provider/" + githubOIDC},
		"Condition": cond,
	}}}
}

// conditions returns the conditions of doc's only statement.
func conditions(doc map[string]any) map[string]any {
	return doc["Statement"].([]any)[0].(map[string]any)["Condition"].(map[string]any)
}

var guardRoles = []string{"dev-plan", "dev-apply", "prod-plan", "prod-apply"}

// deniedNotes are doctor's notes when its AWS credentials may not read any
// of guardRoles.
func deniedNotes() []string {
	var out []string
	for _, r := range guardRoles {
		out = append(out, fmt.Sprintf("note: doctor's AWS credentials may not read role arn:aws:iam::1:role/%s (AccessDenied): its trust (%s) is not checked; allow them iam:GetRole on it", r, r))
	}
	return out
}

func TestDoctorChecksTheAWSTrust(t *testing.T) {
	const (
		role      = "role arn:aws:iam::1:role/prod-apply (AWS_ROLE_ARN of prod-apply)"
		subFix    = `fix: in the role's trust policy, require StringEquals token.actions.githubusercontent.com:sub = "repo:acme/infra:environment:prod-apply" (deploy/terraform/github.tf writes this trust)`
		planSubFx = `fix: in the role's trust policy, require StringEquals token.actions.githubusercontent.com:sub = "repo:acme/infra:environment:prod-plan" (deploy/terraform/github.tf writes this trust)`
		refFix    = `fix: in the role's trust policy, require StringLike token.actions.githubusercontent.com:job_workflow_ref = "acme/infra/.github/workflows/apply.yml@refs/heads/tfpilot/*" (deploy/terraform/github.tf writes this trust)`
		tfFix     = " (deploy/terraform/github.tf writes this trust)"
	)
	noCredentials := func(context.Context) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found")
		})}, nil
	}
	tests := []struct {
		name   string
		break_ func(t *testing.T, w *guardWorld, f *fakeIAM)
		want   []string // problem and fix lines
		notes  []string // the notes doctor prints about AWS
		read   []string // the roles doctor reads, once each
	}{
		{
			name:   "good trust",
			break_: func(*testing.T, *guardWorld, *fakeIAM) {},
			read:   guardRoles,
		},
		{
			name: "wildcard sub",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				c := conditions(doc)
				delete(c["StringEquals"].(map[string]any), githubOIDC+":sub")
				c["StringLike"].(map[string]any)[githubOIDC+":sub"] = []string{"repo:acme/*"}
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + ` accepts sub "repo:acme/*": a workflow of another repository or environment can assume it`, subFix},
			read: guardRoles,
		},
		{
			name: "sub not pinned",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				delete(conditions(doc)["StringEquals"].(map[string]any), githubOIDC+":sub")
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + " does not pin token.actions.githubusercontent.com:sub: a workflow of any repository can assume it", subFix},
			read: guardRoles,
		},
		{
			name: "missing job_workflow_ref on apply",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				delete(conditions(doc), "StringLike")
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + " does not pin token.actions.githubusercontent.com:job_workflow_ref: a workflow pushed under another name, or apply.yml from another branch, that names prod-apply can assume it",
				refFix},
			read: guardRoles,
		},
		{
			name: "job_workflow_ref of any workflow",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				conditions(doc)["StringLike"].(map[string]any)[githubOIDC+":job_workflow_ref"] = "acme/infra/.github/workflows/*@refs/heads/tfpilot/*"
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + ` accepts job_workflow_ref "acme/infra/.github/workflows/*@refs/heads/tfpilot/*": a workflow other than apply.yml on tfpilot/* can assume it`,
				refFix},
			read: guardRoles,
		},
		{
			name: "role for another repo",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-plan")
				conditions(doc)["StringEquals"].(map[string]any)[githubOIDC+":sub"] = "repo:acme/other:environment:prod-plan"
				f.setTrust("prod-plan", doc)
			},
			want: []string{`problem: role arn:aws:iam::1:role/prod-plan (AWS_ROLE_ARN of prod-plan) accepts sub "repo:acme/other:environment:prod-plan": a workflow of another repository or environment can assume it`,
				planSubFx},
			read: guardRoles,
		},
		{
			name: "aud not pinned",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				delete(conditions(doc)["StringEquals"].(map[string]any), githubOIDC+":aud")
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + " does not pin token.actions.githubusercontent.com:aud to sts.amazonaws.com: a GitHub token meant for another audience can assume it",
				`fix: in the role's trust policy, require StringEquals token.actions.githubusercontent.com:aud = "sts.amazonaws.com"` + tfFix},
			read: guardRoles,
		},
		{
			name: "another identity provider",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				doc["Statement"].([]any)[0].(map[string]any)["Principal"] = map[string]any{"Federated": []string{
					"arn:aws:iam::1:oidc-provider/" + githubOIDC, "arn:aws:iam::1:oidc-provider/gitlab.example.com"}}
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + " also trusts identity provider arn:aws:iam::1:oidc-provider/gitlab.example.com: its tokens can assume it",
				"fix: remove that principal from the role's trust policy" + tfFix},
			read: guardRoles,
		},
		{
			name: "anyone may assume it",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				doc := goodTrust("prod-apply")
				doc["Statement"] = append(doc["Statement"].([]any), map[string]any{
					"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": []string{"arn:aws:iam::1:root", "*"}}})
				f.setTrust("prod-apply", doc)
			},
			want: []string{"problem: " + role + ` also trusts AWS "*" (anyone): tokens that are not GitHub's can assume it`,
				"fix: remove that principal from the role's trust policy" + tfFix},
			read: guardRoles,
		},
		{
			name: "AWS_ROLE_ARN that is not a role ARN",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				if code, out := w.bot(t, map[string]string{adminTokenVar: ghfake.AdminToken}, "setup-repo", "--project", "shop", "--app-slug", "tfpilot",
					"--var", "prod-apply:AWS_ROLE_ARN=prod-apply"); code != 0 {
					t.Fatalf("setup-repo exit %d:\n%s", code, out)
				}
			},
			want: []string{`problem: prod-apply: AWS_ROLE_ARN "prod-apply" is not an IAM role ARN`,
				"fix: set it to the ARN of the prod-apply role deploy/terraform made (arn:aws:iam::ACCOUNT:role/NAME)"},
			read: []string{"dev-plan", "dev-apply", "prod-plan"},
		},
		{
			name: "no GitHub trust",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				f.setTrust("prod-apply", map[string]any{"Version": "2012-10-17", "Statement": map[string]any{
					"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "arn:aws:iam::1:root"}}})
			},
			want: []string{"problem: " + role + " does not trust GitHub's OIDC provider (token.actions.githubusercontent.com): prod-apply jobs cannot assume it",
				"fix: give the role the trust deploy/terraform/github.tf writes"},
			read: guardRoles,
		},
		{
			name: "AccessDenied",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				f.denied = true
			},
			notes: deniedNotes(),
			read:  guardRoles,
		},
		{
			name: "role of another account",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) {
				if code, out := w.bot(t, map[string]string{adminTokenVar: ghfake.AdminToken}, "setup-repo", "--project", "shop", "--app-slug", "tfpilot",
					"--var", "prod-apply:AWS_ROLE_ARN=arn:aws:iam::2:role/prod-apply"); code != 0 {
					t.Fatalf("setup-repo exit %d:\n%s", code, out)
				}
			},
			notes: []string{"note: doctor's AWS credentials read arn:aws:iam::1:role/prod-apply, not arn:aws:iam::2:role/prod-apply: the trust of prod-apply is not checked; run doctor with credentials of account 2"},
			read:  guardRoles,
		},
		{
			name:   "no credentials",
			break_: func(t *testing.T, w *guardWorld, f *fakeIAM) { w.aws = noCredentials },
			notes: []string{"note: no AWS credentials (AWS_* variables, shared config, web identity or instance role): the AWS OIDC trust of the <env>-plan and <env>-apply roles is not checked; " +
				"run doctor with AWS credentials allowed iam:GetRole on them"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newGuardWorld(t)
			if code, out := w.setupRepo(t); code != 0 {
				t.Fatalf("setup-repo exit %d:\n%s", code, out)
			}
			f := newFakeIAM(t)
			for _, r := range guardRoles {
				f.setTrust(r, goodTrust(r))
			}
			w.aws = f.loader()
			tt.break_(t, w, f)
			code, out := w.doctorApp(t)
			if diff := cmp.Diff(tt.want, problems(out)); diff != "" {
				t.Errorf("doctor's problems (-want +got):\n%s\noutput:\n%s", diff, out)
			}
			if wantCode := min(len(tt.want), 1); code != wantCode {
				t.Errorf("doctor exit %d, want %d", code, wantCode)
			}
			var notes []string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "note: ") && !strings.HasPrefix(l, "note: token mode") {
					notes = append(notes, l)
				}
			}
			if diff := cmp.Diff(tt.notes, notes); diff != "" {
				t.Errorf("doctor's notes (-want +got):\n%s\noutput:\n%s", diff, out)
			}
			wantCalls := map[string]int{}
			for _, r := range tt.read {
				wantCalls[r] = 1
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if diff := cmp.Diff(wantCalls, f.calls); diff != "" {
				t.Errorf("GetRole calls by role (-want +got):\n%s", diff)
			}
		})
	}
}
