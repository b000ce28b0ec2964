package github

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// Interface guards: the adapter is what cmd/bot wires into the engine.
var (
	_ flow.Repo     = (*Client)(nil)
	_ flow.Runs     = (*Client)(nil)
	_ flow.Catalogs = (*Client)(nil)
)

const (
	fullRepo = "acme/infra"
	project  = "shop"
	reqID    = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	branch   = "tfpilot/" + reqID
	reqFile  = "envs/dev/tfpilot_abc123.tf"
)

// clock is a fake clock whose Sleep only advances time and records waits.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return ctx.Err()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// baseFiles is the environment repository: the real modules of this repo
// plus an environment root.
func baseFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{
		"envs/dev/backend.tf": "terraform {\n  backend \"s3\" {}\n}\n",
		"README.md":           "# infra\n",
	}
	paths, err := filepath.Glob("../../modules/*/*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no modules: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel("../..", p)
		files[filepath.ToSlash(rel)] = string(b)
	}
	return files
}

type env struct {
	f   *ghfake.Fake
	c   *Client
	clk *clock
	sum *summarizer
}

// summarizer is a stub Options.Summarize that records what it was given.
type summarizer struct {
	mu  sync.Mutex
	got [][]byte
}

func (s *summarizer) Summarize(b []byte) (flow.PlanSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, b)
	return flow.PlanSummary{Create: 1, Resources: []flow.ResourceChange{{Address: "module.x.aws_s3_bucket.this", Action: "create"}}}, nil
}

// newEnv starts a fake with one repository and a client for it.
func newEnv(t *testing.T) *env {
	t.Helper()
	f := ghfake.New(t)
	f.AddRepo("acme", "infra", "main", baseFiles(t))
	clk := newClock()
	f.SetNow(clk.Now)
	e := &env{f: f, clk: clk, sum: &summarizer{}}
	e.c = e.client(t)
	return e
}

// client builds a new Client on the same fake: a restarted process.
func (e *env) client(t *testing.T) *Client {
	t.Helper()
	c, err := New(Options{
		HTTPClient: e.f.Client(), BaseURL: e.f.URL, Token: ghfake.Token,
		Projects:     map[string]Repo{project: {Owner: "acme", Name: "infra", BaseBranch: "main"}},
		PollInterval: 10 * time.Second, Logger: zaptest.NewLogger(t),
		Summarize: e.sum.Summarize, Sleep: e.clk.Sleep, Now: e.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func spec(content string) flow.ChangeSpec {
	return flow.ChangeSpec{Project: project, RequestID: reqID, Branch: branch,
		Title: "tfpilot: s3-bucket in dev", Body: "Module s3-bucket, requested by <@U1>.",
		Files: []flow.FileChange{{Path: reqFile, Content: []byte(content)}}}
}

const fileContent = "module \"tfpilot_abc123\" {\n  source = \"../../modules/s3-bucket\"\n}\n"

func mustOpen(t *testing.T, c *Client, s flow.ChangeSpec) flow.Change {
	t.Helper()
	ch, err := c.OpenChange(context.Background(), s)
	if err != nil {
		t.Fatalf("OpenChange: %v", err)
	}
	return ch
}

func planDispatch() flow.Dispatch {
	return flow.Dispatch{Project: project, Workflow: flow.WorkflowPlan, RequestID: reqID, Environment: "dev",
		Ref: branch, Key: "3-dispatch_plan"}
}

func applyDispatch(planRun int64) flow.Dispatch {
	return flow.Dispatch{Project: project, Workflow: flow.WorkflowApply, RequestID: reqID, Environment: "dev",
		Ref: branch, PlanRunID: planRun, Key: "9-dispatch_apply"}
}
