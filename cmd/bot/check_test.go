package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{"real modules are clean", []string{"check", "--modules", "../../modules"}, 0, nil},
		{"conventions broken", []string{"check", "--modules", "../../registry/testdata/conventions"}, 1, []string{
			"sloppy/main.tf:19: aws_kms_key.this is taggable but does not set tags",
			`sloppy/variables.tf: missing system input "environment"`,
			"sloppy/README.md: README does not list input `request_id`",
			`sloppy/main.tf:6: variable "request_id" has no description`,
			`leaky/variables.tf:16: variable "db_password" is sensitive but takes the secret itself, which would be committed to git: rename it "db_password_arn"`,
		}},
		{"load diagnostics", []string{"check", "--modules", "../../registry/testdata/broken"}, 1, []string{"crossref/variables.tf:10: validation of max may only refer to var.max"}},
		{"missing folder", []string{"check", "--modules", "does-not-exist"}, 1, []string{"module folder does-not-exist does not exist"}},
		{"bad flag", []string{"check", "--json"}, 2, []string{"bot check: flag provided but not defined: -json\nrun 'bot check -h' for its usage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmdForTest(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestCheckPolicy: bot check --policy refuses what start-up refuses, with the
// line, and prints who may do what in each environment.
func TestCheckPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n"
	longName := write("long.yaml", head+"  - {name: dev, requesters: [\"*\"], approvers: [U1]}\n  - name: production-eu\n    requesters: [\"*\"]\n    approvers: [U1]\n")
	tooFew := write("few.yaml", head+"  - name: prod\n    requesters: [U1]\n    approvers: [U1, U2]\n    approvals_required: 2\n")
	twoDocs := write("two.yaml", head+"  - {name: dev, requesters: [\"*\"], approvers: [U1]}\n---\nenvironments: []\n")
	unflagged := write("zero.yaml", head+"  - {name: sandbox, requesters: [\"*\"], approvers: [\"*\"], approvals_required: 0}\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"example", []string{"check", "--policy", "../../policy.example.yaml", "--modules", "../../modules"}, 0, []string{
			"../../policy.example.yaml: valid\n",
			"environment dev (low risk)\n  request:        anyone\n  approve:        anyone\n  apply:          anyone\n" +
				"  self-approval:  allowed: a requester who is an approver may approve their own request\n" +
				"  approvals:      none: a plan may be applied as soon as it finishes\n  modules:        all modules\n  notify:         C0TFPILOT\n",
			"environment prod\n  request:        group S0PLATFORM, U0ALICE\n  approve:        group S0PLATFORMLEADS\n  apply:          group S0PLATFORMLEADS, U0ALICE\n" +
				"  self-approval:  not allowed: the requester cannot approve their own request\n" +
				"  approvals:      1, from distinct approvers, of the current plan\n  modules:        s3-bucket, sqs-queue, iam-role-app\n  notify:         C0PRODCHANGES\n",
		}, nil},
		{"environment name the modules refuse", []string{"check", "--policy", longName, "--modules", "../../modules"}, 1, nil, []string{
			longName + `:5: environments[production-eu].name: the modules of project p cannot take "production-eu" as their environment`,
			"environment must be 2 to 12 characters",
			"rename the environment, and its folder envs/production-eu, to a name they take",
		}},
		{"more approvals than the approvers can give", []string{"check", "--policy", tooFew, "--modules", "../../modules"}, 1, nil, []string{
			"environments[prod].approvals_required (line 7): 2 approvals are required but a request by U1 can get only 1",
		}},
		{"second document", []string{"check", "--policy", twoDocs, "--modules", "../../modules"}, 1, nil, []string{
			"line 5: a second YAML document starts here",
		}},
		{"no approval and not low risk", []string{"check", "--policy", unflagged, "--modules", "../../modules"}, 0, []string{
			"warning: environment sandbox: approvals_required is 0, so its plans are applied without anyone's approval; if that is intended, declare it with low_risk: true",
		}, nil},
		{"no modules folder here", []string{"check", "--policy", unflagged}, 0, []string{"environment sandbox"}, []string{
			"note: no modules folder here, so environment names were not checked against the modules; pass --modules DIR",
		}},
		{"modules folder given but missing", []string{"check", "--policy", unflagged, "--modules", "nope"}, 1, nil, []string{"module folder nope does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmdForTest(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
