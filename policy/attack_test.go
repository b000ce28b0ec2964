package policy

import (
	"strings"
	"testing"
)

// TestHostilePolicyFiles: policy files a careless or hostile operator might
// write. Each is refused with a message naming what is wrong, or, where the
// file is valid but risky, warned about at start-up.
func TestHostilePolicyFiles(t *testing.T) {
	env := func(extra string) string {
		return "projects:\n  - {name: p, repo: o/r}\nenvironments:\n  - name: prod\n    requesters: [U1]\n    approvers: [U2, U3]\n" + extra
	}
	// A billion laughs: nine levels of ten aliases each would expand to
	// 10^9 strings. As unknown top-level keys they are refused unread; as
	// the value of a known key (a list of IDs) the first nested list is
	// refused by type; neither is expanded.
	keys := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	flow := "[&a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"
	for i, n := range "bcdefghi" {
		prev := string(rune('a' + i))
		refs := strings.TrimSuffix(strings.Repeat("*"+prev+",", 10), ",")
		keys += string(n) + ": &" + string(n) + " [" + refs + "]\n"
		flow += ", &" + string(n) + " [" + refs + "]"
	}
	flow += "]"
	tests := []struct {
		name, doc, want string
	}{
		{"alias bomb under unknown keys", keys + env(""), `unknown key "a"`},
		{"alias bomb as the appliers", env("    appliers: " + flow + "\n"), "cannot unmarshal !!seq into string"},
		{"duplicate key: a second approvers list widens the first", env("    approvers: [\"*\"]\n"), `mapping key "approvers" already defined`},
		{"duplicate key: approvals_required lowered further down", env("    approvals_required: 2\n    approvals_required: 0\n"), `mapping key "approvals_required" already defined`},
		{"environment named ../x", strings.Replace(env(""), "name: prod", "name: ../x", 1), `"../x" must be lowercase`},
		{"environment named in uppercase", strings.Replace(env(""), "name: prod", "name: PROD", 1), `"PROD" must be lowercase`},
		{"environment named in unicode", strings.Replace(env(""), "name: prod", "name: prоd", 1), `"prоd" must be lowercase`}, // Cyrillic о
		{"environment name with a newline", strings.Replace(env(""), "name: prod", "name: \"prod\\nx\"", 1), `"prod\nx" must be lowercase`},
		{"approvals_required -1", env("    approvals_required: -1\n"), "-1 must be between 0 and 10"},
		{"approvals_required 11", env("    approvals_required: 11\n"), "11 must be between 0 and 10"},
		{"approvals_required past int64", env("    approvals_required: 99999999999999999999\n"), "cannot unmarshal"},
		{"approvals_required as a string", env("    approvals_required: \"0\"\n"), "cannot unmarshal"},
		{"approvals_required more than the named approvers", env("    approvals_required: 3\n"), "3 approvals are required but only 2 people can approve"},
		{"a second document widening the first", env("") + "---\nenvironments: [{name: prod, requesters: [\"*\"], approvers: [\"*\"], approvals_required: 0}]\n", "a second YAML document starts here"},
		{"a project repo with a path", strings.Replace(env(""), "o/r", "o/r/../../x", 1), `"o/r/../../x" must be owner/name`},
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

// TestRiskyPoliciesWarn: a valid policy under which anyone applies without
// an approval is accepted only with a start-up warning, unless the
// environment is declared low_risk.
func TestRiskyPoliciesWarn(t *testing.T) {
	doc := "projects:\n  - {name: p, repo: o/r}\nenvironments:\n" +
		"  - {name: prod, requesters: [\"*\"], appliers: [\"*\"], approvals_required: 0}\n" +
		"  - {name: sandbox, requesters: [\"*\"], appliers: [\"*\"], approvals_required: 0, low_risk: true}\n"
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	w := Warnings(p)
	if len(w) != 1 || !strings.HasPrefix(w[0], "environment prod: approvals_required is 0") {
		t.Errorf("warnings %q, want one, for prod", w)
	}
}
