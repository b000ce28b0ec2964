package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestServeRefusesEnvironmentTheModulesRefuse: bot serve reads each
// project's catalogue at start-up and stops on an environment name its
// modules cannot take, naming the line, after warning about an environment
// that needs no approval and is not declared low-risk.
func TestServeRefusesEnvironmentTheModulesRefuse(t *testing.T) {
	gh := ghfake.New(t)
	gh.AddRepo("acme", "infra-live", "main", repoFiles(t, "modules", "envs"))
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	doc := "projects:\n  - {name: platform, repo: acme/infra-live}\nenvironments:\n" +
		"  - {name: sandbox, requesters: [\"*\"], approvers: [\"*\"], approvals_required: 0}\n" +
		"  - name: production-eu\n    requesters: [\"*\"]\n    approvers: [U1]\n"
	if err := os.WriteFile(policyPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := serveConfig{
		SlackAppToken: "xapp-1-A0FAKE-1-x", SlackBotToken: "xoxb-1-2-x", SlackAPIURL: "http://127.0.0.1:1/",
		GitHubToken: ghfake.Token, GitHubAPIURL: strings.TrimSuffix(gh.URL, "/") + "/",
		PolicyPath: policyPath, Store: storeLocation{Kind: "file", Path: t.TempDir()},
		Listen: "127.0.0.1:0", Replica: "test",
	}
	core, logs := observer.New(zap.WarnLevel)
	err := serve(context.Background(), cfg, zap.New(core))
	if err == nil {
		t.Fatal("serve started with an environment the modules cannot take")
	}
	for _, want := range []string{
		policyPath + `:5: environments[production-eu].name: the modules of project platform cannot take "production-eu" as their environment`,
		"rename the environment, and its folder envs/production-eu, to a name they take",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var warned bool
	for _, e := range logs.FilterMessage("policy").All() {
		warned = warned || strings.HasPrefix(e.ContextMap()["warning"].(string), "environment sandbox: approvals_required is 0")
	}
	if !warned {
		t.Errorf("no warning about sandbox's approvals_required 0; logged: %v", logs.All())
	}
}
