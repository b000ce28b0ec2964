package github

import (
	"context"
	"fmt"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// callBudget is the most GitHub API calls one request may cost from open to
// merged, excluding polling (Status, PlanResult) and freshness checks
// (ChangeStatus): see TestRequestLifecycleCallBudget.
const callBudget = 12

// phase runs fn and returns the API calls and writes it cost, as counted by
// the adapter's transport (every attempt, 304s included; pre-signed
// downloads are not API calls and not counted).
func phase(t *testing.T, c *Client, fn func() error) (calls, writes int64) {
	t.Helper()
	before := c.Stats()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	after := c.Stats()
	return after.Calls - before.Calls, after.Writes - before.Writes
}

// watch polls Status once per interval until the run is done, finishing it
// in the fake after two polls, and returns the final run.
func watch(t *testing.T, e *env, run flow.Run) flow.Run {
	t.Helper()
	for i := 0; ; i++ {
		st, err := e.c.Status(context.Background(), project, run)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status.Done() {
			return st
		}
		switch i {
		case 0:
			e.f.StartRun(run.ID)
		case 1:
			e.f.CompleteRun(run.ID, "success")
		}
		e.clk.Advance(e.c.poll)
	}
}

// TestRequestLifecycleCallBudget takes one request from open to merged the
// way the engine calls the adapter. Counted ("github calls per request"):
// OpenChange, Dispatch(plan), Dispatch(apply) and MergeChange — every API
// call they make, retries and 304s included. Not counted but logged:
// Status polling, PlanResult (artifact list + zip redirect; the pre-signed
// download is not an API call) and the ChangeStatus checks the engine makes
// on approve/apply (two conditional GETs each).
func TestRequestLifecycleCallBudget(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var (
		ch             flow.Change
		plan, apply    flow.Run
		calls, writes  int64
		pollCalls      int64
		excludedOthers int64
	)
	add := func(c, w int64) { calls, writes = calls+c, writes+w }

	add(phase(t, e.c, func() (err error) { ch, err = e.c.OpenChange(ctx, spec(fileContent)); return err }))
	open := calls
	add(phase(t, e.c, func() (err error) { plan, err = e.c.Dispatch(ctx, planDispatch()); return err }))
	c, _ := phase(t, e.c, func() error { plan = watch(t, e, plan); return nil })
	pollCalls += c
	c, _ = phase(t, e.c, func() error { _, err := e.c.PlanResult(ctx, project, plan); return err })
	excludedOthers += c
	c, _ = phase(t, e.c, func() error { _, err := e.c.ChangeStatus(ctx, project, ch); return err }) // approve
	excludedOthers += c
	before := calls
	add(phase(t, e.c, func() (err error) { apply, err = e.c.Dispatch(ctx, applyDispatch(plan.ID)); return err }))
	applyCalls := calls - before
	c, _ = phase(t, e.c, func() error { apply = watch(t, e, apply); return nil })
	pollCalls += c
	before = calls
	add(phase(t, e.c, func() (err error) { ch, err = e.c.MergeChange(ctx, project, ch); return err }))
	merge := calls - before

	t.Logf("github calls per request: %d (writes %d)", calls, writes)
	t.Logf("  open %d, plan dispatch %d, apply dispatch %d, merge %d", open, calls-open-applyCalls-merge, applyCalls, merge)
	t.Logf("  not counted: status polling %d, plan result + change status %d", pollCalls, excludedOthers)
	if calls > callBudget {
		t.Errorf("request cost %d calls, budget %d", calls, callBudget)
	}
	if !ch.Merged || len(e.f.Runs(fullRepo)) != 2 || !e.f.PullRequests(fullRepo)[0].Merged {
		t.Errorf("lifecycle did not finish: change %+v, runs %+v", ch, e.f.Runs(fullRepo))
	}
	if got := e.f.Runs(fullRepo)[1].Inputs["plan_run_id"]; got != fmt.Sprint(plan.ID) {
		t.Errorf("apply got plan_run_id %q, want %d", got, plan.ID)
	}
}

// pollRound asks Status for every run once, at the start of a new interval,
// and returns the API calls it cost.
func pollRound(tb testing.TB, e *env, ids []int64) int64 {
	e.clk.Advance(e.c.poll)
	before := e.c.Stats().Calls
	for _, id := range ids {
		if _, err := e.c.Status(context.Background(), project, flow.Run{Workflow: flow.WorkflowPlan, ID: id}); err != nil {
			tb.Fatal(err)
		}
	}
	return e.c.Stats().Calls - before
}

// inFlight starts n plan runs, each in its own environment: runs of one
// environment share a concurrency group, where only one runs at a time.
func inFlight(e *env, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = e.f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": fmt.Sprintf("req-%d", i), "environment": fmt.Sprintf("env%d", i)})
		e.f.StartRun(ids[i])
	}
	return ids
}

// TestPollingScales: one run or a hundred in flight in one repository cost
// the same calls per polling interval — one list call (a 304 when nothing
// changed), whatever the number of runs.
func TestPollingScales(t *testing.T) {
	perInterval := map[int][]int64{}
	for _, n := range []int{1, 100} {
		e := newEnv(t)
		ids := inFlight(e, n)
		var costs []int64
		for round := 0; round < 3; round++ {
			if round == 2 {
				e.f.CompleteRun(ids[0], "success") // a changed list is still one call
			}
			costs = append(costs, pollRound(t, e, ids))
		}
		perInterval[n] = costs
		if e.f.NotModified() != 1 {
			t.Errorf("%d runs: %d answers were 304, want 1 (the unchanged second round)", n, e.f.NotModified())
		}
	}
	t.Logf("calls per interval: 1 run %v, 100 runs %v", perInterval[1], perInterval[100])
	for i := range perInterval[1] {
		if perInterval[1][i] != 1 || perInterval[100][i] != 1 {
			t.Errorf("interval %d: 1 run cost %d calls, 100 runs cost %d; want 1 each", i, perInterval[1][i], perInterval[100][i])
		}
	}
}

// BenchmarkStatusPoll reports the API calls one polling interval costs with
// 100 runs in flight in one repository.
func BenchmarkStatusPoll(b *testing.B) {
	f := ghfake.New(b)
	f.AddRepo("acme", "infra", "main", map[string]string{"README.md": "x"})
	clk := newClock()
	f.SetNow(clk.Now)
	c, err := New(Options{HTTPClient: f.Client(), BaseURL: f.URL, Token: ghfake.Token, Sleep: clk.Sleep, Now: clk.Now,
		Projects: map[string]Repo{project: {Owner: "acme", Name: "infra", BaseBranch: "main"}}})
	if err != nil {
		b.Fatal(err)
	}
	e := &env{f: f, c: c, clk: clk}
	ids := inFlight(e, 100)
	var calls int64
	for b.Loop() {
		calls += pollRound(b, e, ids)
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/interval")
	b.ReportMetric(float64(len(ids)), "runs")
}
