package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
	"github.com/tfpilot/tfpilot/internal/s3test"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// Helpers of TestQueueBurst and TestFaultMatrix: the real `bot serve` on
// slackfake, ghfake (with its runner playing GitHub Actions) and
// versitygw, restartable after a SIGKILL, and people driving requests
// through their cards.

// worldDeadline bounds a whole burst or matrix: a guard against hangs,
// not a performance assertion. The short forms take about 90 s; the full
// fault matrix (make faults: 20 requests, 20 kills) gets longer.
func worldDeadline() time.Duration {
	if os.Getenv("TFPILOT_FAULTS") == "full" {
		return 20 * time.Minute
	}
	return 4 * time.Minute
}

// world is one bot deployment and the services around it.
type world struct {
	t      *testing.T
	ctx    context.Context
	slack  *slackfake.Fake
	gh     *ghfake.Fake
	runner *ghfake.Runner
	s3c    *awss3.Client // straight to versitygw, never through the proxy
	bucket string
	s3p    *s3Proxy // in front of versitygw for the bot
	repos  []string // owner/name of each project, project i is "p<i>"
	bin    string
	env    map[string]string

	mu       sync.Mutex
	proc     *botProcess
	kills    int
	stopping bool
}

// worldOptions shapes a world.
type worldOptions struct {
	projects int      // repositories, one project each (default 1)
	envs     []string // environments of every project (default dev)
}

// newWorld starts the fakes, versitygw behind a proxy, and the bot.
func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	if o.projects == 0 {
		o.projects = 1
	}
	if len(o.envs) == 0 {
		o.envs = []string{"dev"}
	}
	endpoint, bucket, s3c := s3test.Start(t) // skips without versitygw outside CI
	ctx, cancel := context.WithTimeout(context.Background(), worldDeadline())
	t.Cleanup(cancel)
	creds, err := s3c.Options().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, slack: slackfake.New(), gh: ghfake.New(t), s3c: s3c, bucket: bucket,
		s3p: newS3Proxy(t, endpoint)}
	t.Cleanup(w.slack.Close)
	files := repoFiles(t, "modules", "envs")
	for _, env := range o.envs {
		for _, f := range []string{"backend.tf", "providers.tf", "versions.tf"} {
			files["envs/"+env+"/"+f] = files["envs/dev/"+f]
		}
	}
	var pol strings.Builder
	fmt.Fprintf(&pol, "notify_channel: %s\nprojects:\n", notifChan)
	for i := range o.projects {
		name := fmt.Sprintf("infra-%d", i)
		w.gh.AddRepo("acme", name, "main", files)
		w.repos = append(w.repos, "acme/"+name)
		fmt.Fprintf(&pol, "  - name: p%d\n    repo: acme/%s\n    base_branch: main\n", i, name)
	}
	pol.WriteString("environments:\n")
	for _, env := range o.envs {
		// One approval by someone other than the requester: each request
		// costs a person one click per plan shown.
		fmt.Fprintf(&pol, "  - name: %s\n    requesters: [%s]\n    approvers: [%s]\n    approvals_required: 1\n    allow_self_approval: false\n",
			env, alice, bob)
	}
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyPath, []byte(pol.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// Runs take longer than TfPilot takes between two dispatches, so two
	// runs dispatched without the queue would overlap.
	w.runner = w.gh.StartRunner(ghfake.RunnerOptions{Pickup: 200 * time.Millisecond, Duration: 1500 * time.Millisecond})
	w.bin = buildServeBinary(t)
	w.env = map[string]string{
		"SLACK_APP_TOKEN":       "xapp-1-A0FAKE-1-e2e",
		"SLACK_BOT_TOKEN":       "xoxb-1-2-e2e",
		"SLACK_API_URL":         w.slack.APIURL(),
		"GITHUB_TOKEN":          ghfake.Token,
		"GITHUB_API_URL":        w.gh.URL,
		"TFPILOT_CONFIG":        policyPath,
		"TFPILOT_STORE":         "s3://" + bucket + "/" + strings.TrimSuffix(s3Prefix, "/"),
		"TFPILOT_S3_PATH_STYLE": "true",
		"AWS_ENDPOINT_URL_S3":   w.s3p.URL(),
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"TFPILOT_LISTEN":        freeAddr(t),
		"TFPILOT_REPLICA":       "burst",
	}
	w.start()
	t.Cleanup(func() {
		w.mu.Lock()
		w.stopping = true
		w.mu.Unlock()
	})
	w.waitFor("Socket Mode connection", func() bool {
		c, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		return w.slack.WaitConnected(c) == nil
	})
	w.waitFor("/readyz answers 200", func() bool {
		code, _ := httpGet("http://" + w.env["TFPILOT_LISTEN"] + "/readyz")
		return code == http.StatusOK
	})
	return w
}

// start starts the bot process. A process that exits without being
// killed by kill fails the test.
func (w *world) start() {
	p := startBot(w.t, w.bin, []string{"serve"}, w.env)
	// Runs before startBot's cleanup kills p: that exit is expected.
	w.t.Cleanup(func() {
		w.mu.Lock()
		w.stopping = true
		w.mu.Unlock()
	})
	w.mu.Lock()
	w.proc = p
	w.mu.Unlock()
	go func() {
		<-p.done
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.proc == p && !w.stopping {
			w.t.Errorf("the bot exited by itself with status %d", p.code)
		}
	}()
}

// kill SIGKILLs the bot, waits for it to die and starts it again.
func (w *world) kill() {
	if w.killNow() {
		w.start()
	}
}

// killNow SIGKILLs the running bot and waits for it to die; false when no
// bot was running.
func (w *world) killNow() bool {
	w.mu.Lock()
	p := w.proc
	w.proc = nil
	w.kills++
	w.mu.Unlock()
	if p == nil {
		return false
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return true
}

// killCount is how many times the bot was killed.
func (w *world) killCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.kills
}

// stderr is the log of the running bot.
func (w *world) stderr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.proc == nil {
		return ""
	}
	return w.proc.stderr.String()
}

// waitFor polls cond until it holds, failing the test at the world's
// deadline: a guard against hangs.
func (w *world) waitFor(what string, cond func() bool) {
	w.t.Helper()
	for !cond() {
		if w.ctx.Err() != nil {
			w.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get reads request id's record from the bucket (nil when absent).
func (w *world) get(id string) (*flow.Request, error) {
	out, err := w.s3c.GetObject(w.ctx, &awss3.GetObjectInput{Bucket: aws.String(w.bucket),
		Key: aws.String(s3Prefix + "requests/" + id + ".json")})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	var r flow.Request
	if err := json.NewDecoder(out.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", id, err)
	}
	return &r, nil
}

// auditRecords reads every audit record of request id from the bucket.
func (w *world) auditRecords(id string) []flow.AuditRecord {
	var out []flow.AuditRecord
	for _, k := range listKeys(w.ctx, w.t, w.s3c, w.bucket, s3Prefix+"audit/") {
		if !strings.Contains(k, "/"+id+"/") {
			continue
		}
		o, err := w.s3c.GetObject(w.ctx, &awss3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(k)})
		if err != nil {
			w.t.Fatalf("get %s: %v", k, err)
		}
		var rec flow.AuditRecord
		err = json.NewDecoder(o.Body).Decode(&rec)
		o.Body.Close()
		if err != nil {
			w.t.Fatalf("decode %s: %v", k, err)
		}
		out = append(out, rec)
	}
	return out
}

// person drives one request through its card as its requester (alice)
// and approver (bob) would.
type person struct {
	w          *world
	project    string
	env, name  string
	root       string // the card's ts
	id         string
	approveFor map[int64]time.Time // plan run → when bob last pressed Approve for it
	applyFor   map[int64]time.Time // plan run → when alice last pressed Apply for it
	submitted  time.Time           // when alice last pressed Submit
	retries    int                 // presses of Retry, Retry merge and Re-plan: a person acting on a problem
	problems   []string            // problems shown on the card when they did
	errs       []string            // what went wrong with the request
}

// open sends /tfpilot new for the request and presses Submit on its card.
func (p *person) open() {
	w := p.w
	cmd := fmt.Sprintf("new s3-bucket project=%s env=%s name=%s", p.project, p.env, p.name)
	if !p.retry("slash command", func(ctx context.Context) error {
		_, err := w.slack.SlashCommand(ctx, alice, reqChan, cmd)
		return err
	}) {
		return
	}
	w.waitFor("confirm card of "+p.name, func() bool {
		for _, m := range w.slack.Messages(reqChan) {
			if b, ok := button(m.Blocks, "submit", "Submit"); ok && m.ThreadTS == "" &&
				strings.Contains(string(m.Blocks), `\"`+p.name+`\"`) {
				p.root, p.id = m.TS, strings.Split(b.Value, "|")[0]
				return true
			}
		}
		return false
	})
	p.press(alice, "submit", "Submit")
	p.submitted = time.Now()
}

// retry calls f until it succeeds (an envelope acked), as Slack retries
// and a person tries again while the bot restarts.
func (p *person) retry(what string, f func(context.Context) error) bool {
	for p.w.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(p.w.ctx, 5*time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.errs = append(p.errs, what+": gave up")
	return false
}

// press clicks the card's button of action with text as user; false when
// the card has no such button.
func (p *person) press(user, action, text string) bool {
	m, _ := p.w.slack.Get(reqChan, p.root)
	b, ok := button(m.Blocks, action, text)
	if !ok {
		return false
	}
	return p.retry(action, func(ctx context.Context) error {
		_, err := p.w.slack.Click(ctx, slackfake.Click{User: user, Channel: reqChan, MessageTS: p.root,
			ActionID: b.ActionID, Value: b.Value})
		return err
	})
}

// drive acts on the card until the request is applied and merged, or
// ends somewhere else.
func (p *person) drive() {
	w := p.w
	p.approveFor, p.applyFor = map[int64]time.Time{}, map[int64]time.Time{}
	for w.ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		r, err := w.get(p.id)
		if err != nil {
			continue // not saved yet, or the read failed: look again
		}
		if r.State == flow.Applied && r.Change != nil && r.Change.Merged && len(r.Owed) == 0 {
			return
		}
		if r.State == flow.Rejected || r.State == flow.Cancelled {
			p.errs = append(p.errs, "ended "+r.State.String()+": "+r.Problem)
			return
		}
		m, _ := w.slack.Get(reqChan, p.root)
		plan := int64(0)
		if r.PlanRun != nil {
			plan = r.PlanRun.ID
		}
		switch {
		case needsPerson(r):
			// A state a person must act on: the card must say why.
			if r.Problem == "" || !strings.Contains(string(m.Blocks), "Problem:") {
				continue // the card is not drawn yet: look again
			}
			p.problems = append(p.problems, r.State.String()+": "+r.Problem)
			p.retries++
			for _, b := range [][2]string{{"retry", "Retry"}, {"retry_merge", "Retry merge"}, {"replan", "Re-plan"}} {
				if p.press(alice, b[0], b[1]) {
					break
				}
			}
			time.Sleep(time.Second)
		case r.State == flow.Confirming && time.Since(p.submitted) > 5*time.Second:
			// The Submit click was lost with the process: press it again.
			if p.press(alice, "submit", "Submit") {
				p.submitted = time.Now()
			}
		case r.State == flow.AwaitingApproval && plan != 0 && time.Since(p.approveFor[plan]) > 5*time.Second:
			// Approve once per plan shown; again only when the click was
			// refused (the environment held by an unmerged apply).
			if p.press(bob, "approve", "Approve") {
				p.approveFor[plan] = time.Now()
			}
		case r.State == flow.Approved && plan != 0 && time.Since(p.applyFor[plan]) > 5*time.Second:
			if p.press(alice, "apply", "Apply") {
				p.applyFor[plan] = time.Now()
			}
		}
	}
	// Say where the request stopped, for whoever reads the failure.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last := "unreadable"
	if out, err := w.s3c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(w.bucket),
		Key: aws.String(s3Prefix + "requests/" + p.id + ".json")}); err == nil {
		var r flow.Request
		if json.NewDecoder(out.Body).Decode(&r) == nil {
			last = fmt.Sprintf("state %s, owed %v, queue %+v, problem %q, lease %+v", r.State, r.Owed, r.Queue, r.Problem, r.Lease)
		}
		out.Body.Close()
	}
	p.errs = append(p.errs, "not applied before the deadline: "+last)
}

// needsPerson says whether r waits for a person to act on a problem: a
// failed run, a refused merge, a stale plan, or a step out of retries.
func needsPerson(r *flow.Request) bool {
	switch r.State {
	case flow.PlanFailed, flow.ApplyFailed, flow.AppliedNotMerged, flow.Stale:
		return true
	}
	return r.FailedEffect != nil
}

// approvals counts the approvals audited for the request.
func (p *person) approvals(recs []flow.AuditRecord) int {
	n := 0
	for _, rec := range recs {
		if rec.Event == flow.EvApprove.String() && !rec.Denied && rec.To != 0 {
			n++
		}
	}
	return n
}

// failureTexts are what a card shows when something failed. (A card that
// says its environment "is held by X, applied but not merged" while X's
// merge is under way shows no failure: that is the queue at work.)
var failureTexts = []string{"Plan failed", "Apply failed", "run failed", "Problem:", "ran out of retries", "Stale",
	"Applied — not merged", "Cancelled", "something went wrong"}

// failuresShown lists every card version (posts and updates) of the
// request that showed a failure text.
func (w *world) failuresShown(root string) []string {
	var out []string
	for _, c := range w.slack.Calls("") {
		if c.Method != "chat.update" && c.Method != "chat.postMessage" {
			continue
		}
		if c.Param("ts") != root && c.Param("thread_ts") != root {
			continue
		}
		text := c.Param("text") + c.Param("blocks")
		for _, f := range failureTexts {
			if strings.Contains(text, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// checkAudit reports duplicate audit records: two records of one
// transition (one Seq), and transitions of the history without a record.
func checkAudit(r *flow.Request, recs []flow.AuditRecord) []string {
	var out []string
	seen := map[int64]int{}
	for _, rec := range recs {
		seen[rec.Seq]++
	}
	for seq, n := range seen {
		if n > 1 {
			out = append(out, fmt.Sprintf("%d audit records with seq %d", n, seq))
		}
	}
	for _, h := range r.History {
		if seen[h.Seq] == 0 {
			out = append(out, fmt.Sprintf("no audit record of transition %d (%s)", h.Seq, h.Event))
		}
	}
	return out
}
