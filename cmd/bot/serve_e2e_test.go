package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/tfplan"
	"github.com/tfpilot/tfpilot/internal/ghfake"
	"github.com/tfpilot/tfpilot/internal/s3test"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// waitDeadline bounds every wait for the bot to do something. It is a
// guard against hangs, not a performance assertion: run status is polled
// at the adapter's production intervals (10–15 s), so a single wait may
// legitimately take tens of seconds.
const waitDeadline = 90 * time.Second

// Slack users and channels of the end-to-end test.
const (
	alice     = "U0ALICE" // requester
	bob       = "U0BOB"   // approver
	reqChan   = "C0REQUESTS"
	notifChan = "C0NOTIFY"
	envRepo   = "acme/infra-live"
	s3Prefix  = "tfpilot/e2e/"
)

// e2ePolicyYAML: one project in acme/infra-live; prod needs one approval
// and forbids self-approval; dev is open.
const e2ePolicyYAML = `notify_channel: ` + notifChan + `
projects:
  - name: platform
    repo: ` + envRepo + `
    base_branch: main
environments:
  - name: dev
    requesters: ["*"]
    approvers: ["*"]
    approvals_required: 0
  - name: prod
    requesters: [` + alice + `, ` + bob + `]
    approvers: [` + alice + `, ` + bob + `]
    approvals_required: 1
    allow_self_approval: false
`

// TestServeEndToEnd runs the real bot binary as `bot serve`, configured only
// by environment variables, against a fake Slack, a fake GitHub seeded with
// this repository's modules/ and envs/, and a real S3 server (versitygw),
// and drives one prod request from the slash command to applied.
func TestServeEndToEnd(t *testing.T) {
	endpoint, bucket, s3c := s3test.Start(t) // skips without versitygw outside CI
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	creds, err := s3c.Options().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}

	slack := slackfake.New()
	t.Cleanup(slack.Close)
	gh := ghfake.New(t)
	gh.AddRepo("acme", "infra-live", "main", repoFiles(t, "modules", "envs"))
	planJSON, err := os.ReadFile(filepath.Join("..", "..", "infra", "tfplan", "testdata", "tf157_mixed_plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyPath, []byte(e2ePolicyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)

	bin := buildServeBinary(t)
	p := startBot(t, bin, []string{"serve"}, map[string]string{
		"SLACK_APP_TOKEN":       "xapp-1-A0FAKE-1-e2e",
		"SLACK_BOT_TOKEN":       "xoxb-1-2-e2e",
		"SLACK_API_URL":         slack.APIURL(),
		"GITHUB_TOKEN":          ghfake.Token,
		"GITHUB_API_URL":        gh.URL,
		"TFPILOT_CONFIG":        policyPath,
		"TFPILOT_STORE":         "s3://" + bucket + "/" + strings.TrimSuffix(s3Prefix, "/"),
		"TFPILOT_S3_PATH_STYLE": "true",
		"AWS_ENDPOINT_URL_S3":   endpoint,
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"TFPILOT_LISTEN":        listen,
	})
	ops := "http://" + listen

	// The process comes up: Socket Mode connected, ops endpoints answer.
	p.waitFor(t, "Socket Mode connection", func() bool {
		c, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		return slack.WaitConnected(c) == nil
	})
	p.waitFor(t, "/readyz answers 200", func() bool { code, _ := httpGet(ops + "/readyz"); return code == http.StatusOK })
	if code, body := httpGet(ops + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %q, want 200", code, body)
	}

	// /tfpilot new with every required input posts the confirm card.
	if _, err := slack.SlashCommand(ctx, alice, reqChan, "new s3-bucket env=prod name=invoices"); err != nil {
		t.Fatal(err)
	}
	var root slackfake.Message
	p.waitFor(t, "confirm card with Submit", func() bool {
		for _, m := range slack.Messages(reqChan) {
			if m.ThreadTS == "" && hasButton(m.Blocks, "submit", "Submit") {
				root = m
				return true
			}
		}
		return false
	})
	click := func(user, action, text string) {
		t.Helper()
		m, _ := slack.Get(reqChan, root.TS)
		b, ok := button(m.Blocks, action, text)
		if !ok {
			t.Fatalf("status card has no %s button %q: %s", action, text, m.Blocks)
		}
		if _, err := slack.Click(ctx, slackfake.Click{User: user, Channel: reqChan, MessageTS: root.TS,
			ActionID: b.ActionID, Value: b.Value}); err != nil {
			t.Fatal(err)
		}
	}

	// Submit: branch, one commit with the request's file, the PR, and a
	// plan dispatch carrying request_id, environment and dispatch_key.
	click(alice, "submit", "Submit")
	var planRun ghfake.Run
	p.waitFor(t, "plan dispatched", func() bool {
		rs := runsOf(gh, "plan")
		if len(rs) > 0 {
			planRun = rs[0]
		}
		return len(rs) > 0
	})
	r := record(ctx, t, s3c, bucket)
	branch := "tfpilot/" + r.ID
	if planRun.Branch != branch || planRun.Inputs["request_id"] != r.ID || planRun.Inputs["environment"] != "prod" ||
		planRun.Inputs["dispatch_key"] == "" || len(planRun.Inputs) != 3 {
		t.Errorf("plan dispatch: branch %q inputs %v; want branch %s, request_id %s, environment prod and a dispatch_key",
			planRun.Branch, planRun.Inputs, branch, r.ID)
	}
	prs := gh.PullRequests(envRepo)
	if len(prs) != 1 || prs[0].Head != branch || prs[0].Base != "main" || prs[0].State != "open" {
		t.Fatalf("pull requests = %+v, want one open from %s into main", prs, branch)
	}
	file := "envs/prod/tfpilot_" + r.Label + ".tf"
	if content, ok := gh.File(envRepo, branch, file); !ok || !strings.Contains(content, `"../../modules/s3-bucket"`) ||
		!strings.Contains(content, `"invoices"`) {
		t.Errorf("%s on %s = %q (exists %v), want the s3-bucket module block with name invoices", file, branch, content, ok)
	}

	// The plan finishes with a real plan.json, of the request's own module
	// (the scope guard would block changes outside it): the card shows its
	// summary.
	planJSON = inModule(t, planJSON, "tfpilot_"+r.Label)
	gh.SetPlanJSON(planJSON)
	plan, err := tfplan.Summarize(planJSON)
	if err != nil {
		t.Fatal(err)
	}
	gh.CompleteRun(planRun.ID, "success")
	counts := fmt.Sprintf("%d to create, %d to update, %d to replace, %d to destroy", plan.Create, plan.Update, plan.Replace, plan.Delete)
	p.waitFor(t, "plan summary on the status card", func() bool {
		m, _ := slack.Get(reqChan, root.TS)
		return strings.Contains(string(m.Blocks), counts) && hasButton(m.Blocks, "approve", "Approve")
	})
	card, _ := slack.Get(reqChan, root.TS)
	if !strings.Contains(string(card.Blocks), plan.Resources[0].Address) {
		t.Errorf("status card lacks the top address %s: %s", plan.Resources[0].Address, card.Blocks)
	}

	// The requester may not approve their own prod request: refused to
	// them alone, nothing changes.
	click(alice, "approve", "Approve")
	p.waitFor(t, "self-approval refused ephemerally", func() bool {
		for _, e := range slack.Ephemeral(alice) {
			if strings.Contains(e.Text, "cannot approve your own request") {
				return true
			}
		}
		return false
	})
	if r = record(ctx, t, s3c, bucket); r.State != flow.AwaitingApproval || len(r.Approvals) != 0 {
		t.Fatalf("after the self-approval: state %s approvals %v; want awaiting_approval, none", r.State, r.Approvals)
	}

	// A second user approves; the requester applies the approved plan.
	click(bob, "approve", "Approve")
	p.waitFor(t, "Apply offered", func() bool {
		m, _ := slack.Get(reqChan, root.TS)
		return hasButton(m.Blocks, "apply", "Apply")
	})
	click(alice, "apply", "Apply")
	var applyRun ghfake.Run
	p.waitFor(t, "apply dispatched", func() bool {
		rs := runsOf(gh, "apply")
		if len(rs) > 0 {
			applyRun = rs[0]
		}
		return len(rs) > 0
	})
	if applyRun.Inputs["plan_run_id"] != strconv.FormatInt(planRun.ID, 10) || applyRun.Inputs["request_id"] != r.ID ||
		applyRun.Inputs["environment"] != "prod" || applyRun.Inputs["dispatch_key"] == "" || applyRun.Branch != branch {
		t.Errorf("apply dispatch: branch %q inputs %v; want plan_run_id %d for %s in prod on %s",
			applyRun.Branch, applyRun.Inputs, planRun.ID, r.ID, branch)
	}

	// The apply finishes: the PR is merged (squash) and Slack is told.
	gh.CompleteRun(applyRun.ID, "success")
	p.waitFor(t, "request applied", func() bool { return record(ctx, t, s3c, bucket).State == flow.Applied })
	p.waitFor(t, "PR merged", func() bool {
		prs := gh.PullRequests(envRepo)
		return len(prs) == 1 && prs[0].Merged
	})
	if prs := gh.PullRequests(envRepo); prs[0].MergeMethod != "squash" {
		t.Errorf("PR merged with %q, want squash", prs[0].MergeMethod)
	}
	if content, ok := gh.File(envRepo, "main", file); !ok || !strings.Contains(content, `"invoices"`) {
		t.Errorf("%s not on main after the merge", file)
	}
	r = record(ctx, t, s3c, bucket)
	p.waitFor(t, "applied notification", func() bool {
		notes := slack.Messages(notifChan)
		return len(notes) > 0 && strings.Contains(notes[len(notes)-1].Text, r.Thread.URL) &&
			strings.Contains(strings.ToLower(notes[len(notes)-1].Text), "applied")
	})
	p.waitFor(t, "card without buttons", func() bool {
		m, _ := slack.Get(reqChan, root.TS)
		return len(buttons(m.Blocks)) == 0
	})

	// The bucket holds the one request record (applied) and its audit trail.
	if keys := listKeys(ctx, t, s3c, bucket, s3Prefix+"requests/"); len(keys) != 1 || keys[0] != s3Prefix+"requests/"+r.ID+".json" {
		t.Errorf("request records = %v, want %srequests/%s.json", keys, s3Prefix, r.ID)
	}
	audit := listKeys(ctx, t, s3c, bucket, s3Prefix+"audit/")
	if len(audit) < len(r.History) || len(audit) == 0 {
		t.Errorf("audit objects = %d (%v), want at least one per transition (%d)", len(audit), audit, len(r.History))
	}
	for _, k := range audit {
		if !strings.Contains(k, "/"+r.ID+"/") {
			t.Errorf("audit object %s is not under the request's folder", k)
		}
	}

	// Ops endpoints: health, readiness and the metrics an operator watches.
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := httpGet(ops + path); code != http.StatusOK {
			t.Errorf("%s = %d %q, want 200", path, code, body)
		}
	}
	p.waitFor(t, `/metrics with tfpilot_requests{state="applied"} 1`, func() bool {
		_, body := httpGet(ops + "/metrics")
		return strings.Contains(body, "\ntfpilot_requests{state=\"applied\"} 1\n")
	})
	_, metrics := httpGet(ops + "/metrics")
	// Acks: the one slash command and four clicks (submit, two approves, apply).
	for _, want := range []string{`tfpilot_github_calls_total{kind="write"}`, `tfpilot_github_calls_total{kind="read"}`,
		"\ntfpilot_slack_acks_total{type=\"slash_commands\"} 1\n", "\ntfpilot_slack_acks_total{type=\"interactive\"} 4\n",
		"\ntfpilot_slack_ack_seconds_count 5\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}

	// SIGTERM: the process drains and exits 0.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("after SIGTERM: exit status %d, want 0; stderr:\n%s", code, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), "DATA RACE") {
		t.Errorf("the race detector reported a race in the bot:\n%s", p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no \"stopped\" log line after SIGTERM; stderr:\n%s", p.stderr.String())
	}
}

// TestServeConfigErrors checks the exit statuses of a bad configuration:
// a missing token is 1 with a message naming it, a bad flag is 2.
func TestServeConfigErrors(t *testing.T) {
	envOf := func(m map[string]string) *environ {
		return &environ{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &bytes.Buffer{},
			getenv: func(k string) string { return m[k] }}
	}
	full := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1-A1-1-abc", "SLACK_BOT_TOKEN": "xoxb-1-2-abc", "GITHUB_TOKEN": "ghp_example",
		"TFPILOT_CONFIG": filepath.Join(t.TempDir(), "missing.yaml"), "TFPILOT_STORE": "s3://bucket/prefix",
	}

	noApp := map[string]string{}
	for k, v := range full {
		if k != "SLACK_APP_TOKEN" {
			noApp[k] = v
		}
	}
	env := envOf(noApp)
	if code := run(context.Background(), env, []string{"serve"}); code != 1 {
		t.Errorf("serve without SLACK_APP_TOKEN: exit %d, want 1", code)
	}
	if msg := env.stderr.(*bytes.Buffer).String(); !strings.Contains(msg, "SLACK_APP_TOKEN is not set") ||
		strings.Contains(msg, "SLACK_BOT_TOKEN") {
		t.Errorf("stderr = %q, want it to name SLACK_APP_TOKEN (and only it)", msg)
	}

	env = envOf(full)
	if code := run(context.Background(), env, []string{"serve", "--bogus"}); code != 2 {
		t.Errorf("serve --bogus: exit %d, want 2", code)
	}
	if msg := env.stderr.(*bytes.Buffer).String(); !strings.Contains(msg, "bogus") {
		t.Errorf("serve --bogus: stderr = %q, want it to name the flag", msg)
	}
}

// inModule moves every resource change of a plan JSON into module.<name>,
// as a plan of that module block's resources reads.
func inModule(t *testing.T, planJSON []byte, name string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(planJSON, &doc); err != nil {
		t.Fatal(err)
	}
	changes, _ := doc["resource_changes"].([]any)
	for _, c := range changes {
		rc := c.(map[string]any)
		rc["address"] = "module." + name + "." + rc["address"].(string)
		rc["module_address"] = "module." + name
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
