package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

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
	gh.SetPlanJSON(planJSON)
	plan, err := tfplan.Summarize(planJSON)
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

	// The plan finishes with a real plan.json: the card shows its summary.
	gh.CompleteRun(planRun.ID, "success")
	counts := fmt.Sprintf("%d to create, %d to update, %d to replace, %d to delete", plan.Create, plan.Update, plan.Replace, plan.Delete)
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
	for _, want := range []string{`tfpilot_github_calls_total{kind="write"}`, `tfpilot_github_calls_total{kind="read"}`} {
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

// botProcess is a running bot subprocess.
type botProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	code   int           // exit status, valid after done
}

// buildServeBinary compiles ./cmd/bot once for the test, with the race
// detector when the tests run with it (a race in the wiring then fails the
// test: see the DATA RACE check at the end of TestServeEndToEnd).
func buildServeBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bot")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBot runs bin with args and exactly the environment env (nothing is
// inherited). The process is killed at cleanup if it is still running, and
// its log is printed if the test failed.
func startBot(t *testing.T, bin string, args []string, env map[string]string) *botProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &botProcess{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("bot log:\n%s", p.stderr.String())
		}
	})
	return p
}

// waitFor polls cond until it holds. It fails the test if the process
// exits first or waitDeadline passes: a guard against hangs.
func (p *botProcess) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("waiting for %s: the bot exited with status %d", what, p.code)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, waitDeadline)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait returns the exit status, failing the test if the process hangs.
func (p *botProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(waitDeadline):
		t.Fatalf("the bot did not exit within %v of SIGTERM", waitDeadline)
		return -1
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// repoFiles reads the given top-level folders of this repository as an
// environment repository's files (path → content).
func repoFiles(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	files := map[string]string{}
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				if e != nil && e.IsDir() && strings.HasPrefix(e.Name(), ".") {
					return filepath.SkipDir // .terraform and the like
				}
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files[filepath.ToSlash(rel)] = string(b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(files["modules/s3-bucket/variables.tf"], "variable") {
		t.Fatalf("no modules/s3-bucket in %v", dirs)
	}
	return files
}

// freeAddr returns a 127.0.0.1 address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the status and body of url (0 when it does not answer).
func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// runsOf returns the environment repository's runs of workflow.
func runsOf(gh *ghfake.Fake, workflow string) []ghfake.Run {
	var out []ghfake.Run
	for _, r := range gh.Runs(envRepo) {
		if r.Workflow == workflow {
			out = append(out, r)
		}
	}
	return out
}

// listKeys lists the object keys under prefix.
func listKeys(ctx context.Context, t *testing.T, c *awss3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	pages := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// record reads the one request record in the bucket.
func record(ctx context.Context, t *testing.T, c *awss3.Client, bucket string) *flow.Request {
	t.Helper()
	keys := listKeys(ctx, t, c, bucket, s3Prefix+"requests/")
	if len(keys) != 1 {
		t.Fatalf("request records = %v, want one", keys)
	}
	out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[0])})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	var r flow.Request
	if err := json.NewDecoder(out.Body).Decode(&r); err != nil {
		t.Fatalf("decode %s: %v", keys[0], err)
	}
	return &r
}

// cardButton is a button of a rendered message.
type cardButton struct{ ActionID, Value, Text string }

// buttons lists the buttons of Block Kit JSON (actions blocks and section
// accessories).
func buttons(blocks json.RawMessage) []cardButton {
	var bs []struct {
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
	}
	if json.Unmarshal(blocks, &bs) != nil {
		return nil
	}
	var out []cardButton
	add := func(raw json.RawMessage) {
		var el struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		if json.Unmarshal(raw, &el) == nil && el.Type == "button" {
			out = append(out, cardButton{el.ActionID, el.Value, el.Text.Text})
		}
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			add(e)
		}
		if len(b.Accessory) > 0 {
			add(b.Accessory)
		}
	}
	return out
}

// button finds the button whose action ID starts with action+":" and whose
// text is text.
func button(blocks json.RawMessage, action, text string) (cardButton, bool) {
	for _, b := range buttons(blocks) {
		if strings.HasPrefix(b.ActionID, action+":") && b.Text == text {
			return b, true
		}
	}
	return cardButton{}, false
}

func hasButton(blocks json.RawMessage, action, text string) bool {
	_, ok := button(blocks, action, text)
	return ok
}
