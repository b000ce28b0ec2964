package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

func TestParseExample(t *testing.T) {
	p, err := Load(filepath.Join("..", "policy.example.yaml"))
	if err != nil {
		t.Fatalf("the annotated example must load: %v", err)
	}
	want := flow.Policy{
		NotifyChannel: "C0TFPILOT",
		Projects: []flow.Project{
			{Name: "platform", Repo: "acme/infra-live", BaseBranch: "main"},
			{Name: "data", Repo: "acme/data-infra", BaseBranch: "main"},
		},
		Environments: []flow.Environment{
			{Name: "dev", Requesters: []string{"*"}, Approvers: []string{"*"}, ApprovalsRequired: 0, AllowSelfApproval: true, LowRisk: true},
			{
				Name: "prod", Requesters: []string{"S0PLATFORM", "U0ALICE"}, Approvers: []string{"S0PLATFORMLEADS"},
				Appliers: []string{"S0PLATFORMLEADS", "U0ALICE"}, ApprovalsRequired: 1, AllowSelfApproval: false,
				Modules: []string{"s3-bucket", "sqs-queue", "iam-role-app"}, NotifyChannel: "C0PRODCHANGES",
			},
		},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	base := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n  - name: dev\n    requesters: [\"*\"]\n    approvers: [\"*\"]\n"
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "the file is empty"},
		{"unknown top key", base + "notify: C1\n", `unknown key "notify"`},
		{"unknown env key", strings.Replace(base, "    approvers:", "    approver: [x]\n    approvers:", 1), `unknown key "approver"`},
		{"unknown project key", strings.Replace(base, "repo: o/r", "repository: o/r", 1), `unknown key "repository"`},
		{"bad type", strings.Replace(base, "    approvers: [\"*\"]\n", "    approvers: [\"*\"]\n    approvals_required: many\n", 1), "line 7"},
		{"no projects", "environments:\n  - {name: dev, requesters: [\"*\"], approvers: [\"*\"]}\n", "projects: at least one project"},
		{"bad repo", strings.Replace(base, "o/r", "just-a-name", 1), "projects[0].repo"},
		{"bad env name", strings.Replace(base, "name: dev", "name: Dev Env", 1), "must be lowercase"},
		{"duplicate env", base + "  - name: dev\n    requesters: [\"*\"]\n    approvers: [\"*\"]\n", `"dev" is declared twice`},
		{"no requesters", "projects:\n  - {name: p, repo: o/r}\nenvironments:\n  - {name: dev, approvers: [\"*\"]}\n", "environments[dev].requesters"},
		{"approvals without approvers", "projects:\n  - {name: p, repo: o/r}\nenvironments:\n  - {name: dev, requesters: [\"*\"], approvals_required: 2}\n", "environments[dev].approvers"},
		{"negative approvals", strings.Replace(base, "    approvers: [\"*\"]\n", "    approvers: [\"*\"]\n    approvals_required: -1\n", 1), "environments[dev].approvals_required (line 7): -1 must be"},
		{"bad user id", strings.Replace(base, `requesters: ["*"]`, `requesters: ["bob smith"]`, 1), `"bob smith" is not a Slack user`},
		{"bad module", base + "    modules: [\"S3 Bucket\"]\n", `"S3 Bucket" is not a module`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestDefaults: self-approval is off unless the file turns it on, whatever
// the environment is called (prd and live are production too).
func TestDefaults(t *testing.T) {
	doc := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n" +
		"  - {name: dev, requesters: [\"*\"], approvers: [U1]}\n" +
		"  - {name: prd, requesters: [\"*\"], approvers: [U1]}\n" +
		"  - {name: live, requesters: [\"*\"], approvers: [U1]}\n" +
		"  - {name: prod, requesters: [\"*\"], approvers: [U1]}\n"
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]any{}
	for _, e := range p.Environments {
		got[e.Name] = [2]any{e.ApprovalsRequired, e.AllowSelfApproval}
	}
	want := map[string][2]any{"dev": {1, false}, "prd": {1, false}, "live": {1, false}, "prod": {1, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if p.Projects[0].BaseBranch != "main" {
		t.Errorf("base branch default = %q, want main", p.Projects[0].BaseBranch)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// TestModuleNamesAgreeWithRegistry: the policy accepts exactly the module
// names the catalogue loader accepts (one rule, registry.ValidModuleName).
func TestModuleNamesAgreeWithRegistry(t *testing.T) {
	base := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n  - name: dev\n    requesters: [\"*\"]\n    approvers: [\"*\"]\n"
	for _, name := range []string{"s3-bucket", "my_module", "a", "9lives", "_hidden", "-x", "S3", "a b", "a.b", ""} {
		_, err := Parse([]byte(base + fmt.Sprintf("    modules: [%q]\n", name)))
		if got, want := err == nil, registry.ValidModuleName(name); got != want {
			t.Errorf("module %q: policy accepts = %v, registry accepts = %v (err %v)", name, got, want, err)
		}
	}
}

// TestParseRefusesUnworkable: a policy that cannot work stops start-up with
// the key, its line and what to do.
func TestParseRefusesUnworkable(t *testing.T) {
	head := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n"
	tests := []struct {
		name, doc, want string
	}{
		{"second document", head + "  - {name: dev, requesters: [\"*\"], approvers: [\"*\"]}\n---\nenvironments:\n  - {name: prod, requesters: [\"*\"], approvers: [U1]}\n",
			"line 5: a second YAML document starts here"},
		{"second document not YAML", head + "  - {name: dev, requesters: [\"*\"], approvers: [\"*\"]}\n---\n: : [\n",
			"a second YAML document follows the first"},
		{"more approvals than approvers", head + "  - name: prod\n    requesters: [\"*\"]\n    approvers: [U1, U2, U1]\n    approvals_required: 3\n",
			"environments[prod].approvals_required (line 7): 3 approvals are required but only 2 people can approve (U1, U2); name more approvers"},
		{"approvals without the requester who approves", head + "  - name: prod\n    requesters: [U1]\n    approvers: [U1, U2]\n    approvals_required: 2\n",
			"environments[prod].approvals_required (line 7): 2 approvals are required but a request by U1 can get only 1: U1 is a requester and an approver, and allow_self_approval is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestParseAcceptsWorkable: the rule counts only what it can count.
func TestParseAcceptsWorkable(t *testing.T) {
	head := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n"
	for name, env := range map[string]string{
		"a group may hold enough people": "  - {name: prod, requesters: [U1], approvers: [S1], approvals_required: 3}\n",
		"anyone may approve":             "  - {name: prod, requesters: [U1], approvers: [U1, \"*\"], approvals_required: 2}\n",
		"self-approval on":               "  - {name: prod, requesters: [U1], approvers: [U1, U2], approvals_required: 2, allow_self_approval: true}\n",
		"requesters not approvers":       "  - {name: prod, requesters: [U3], approvers: [U1, U2], approvals_required: 2}\n",
		"an empty trailing document":     "  - {name: prod, requesters: [U3], approvers: [U1]}\n---\n",
	} {
		if _, err := Parse([]byte(head + env)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWarnings(t *testing.T) {
	doc := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n" +
		"  - {name: sandbox, requesters: [\"*\"], approvers: [\"*\"], approvals_required: 0, low_risk: true}\n" +
		"  - {name: live, requesters: [\"*\"], approvals_required: 0}\n" +
		"  - {name: prod, requesters: [\"*\"], approvers: [U1]}\n"
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"environment live: approvals_required is 0, so its plans are applied without anyone's approval; " +
		"if that is intended, declare it with low_risk: true, otherwise require an approval"}
	if diff := cmp.Diff(want, Warnings(p)); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}

// TestCheckCatalog: an environment name the modules' own validation refuses
// stops start-up at its line, instead of failing every request later.
func TestCheckCatalog(t *testing.T) {
	cat, err := registry.Load(os.DirFS(filepath.Join("..", "modules")))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	doc := "projects:\n  - {name: platform, repo: o/r}\nenvironments:\n" +
		"  - {name: dev, requesters: [\"*\"], approvers: [U1]}\n" +
		"  - name: production-eu\n    requesters: [\"*\"]\n    approvers: [U1]\n" +
		"  - {name: stage-eu-west, requesters: [\"*\"], approvers: [U1], modules: [s3-bucket]}\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	const rule = "environment must be 2 to 12 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example dev)."
	want := path + `:5: environments[production-eu].name: the modules of project platform cannot take "production-eu" as their environment ` +
		"(ecs-service, iam-role-app, s3-bucket, sqs-queue: " + rule + "); rename the environment, and its folder envs/production-eu, to a name they take\n" +
		path + `:8: environments[stage-eu-west].name: the modules of project platform cannot take "stage-eu-west" as their environment ` +
		"(s3-bucket: " + rule + "); rename the environment, and its folder envs/stage-eu-west, to a name they take"
	err = f.CheckCatalog("platform", cat)
	if err == nil {
		t.Fatal("CheckCatalog accepted production-eu")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}
