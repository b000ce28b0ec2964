package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// burstRequests is how many requests TestQueueBurst submits at once.
const burstRequests = 5

// callsPerRequestBudget bounds the GitHub calls (ghfake requests, 304s and
// downloads included) per request of TestQueueBurst, from the first slash
// command until the last request is applied: the branch, tree, commit and
// PR, each plan and apply dispatch, run polls, artifacts, the merge and
// the re-plans another request's merge causes. docs/RELIABILITY.md
// ("GitHub calls per request") states it; measured 80.4 on the 2-core
// machine.
const callsPerRequestBudget = 150

// TestQueueBurst submits five requests in one environment together through
// the real `bot serve` (slackfake, ghfake with a runner playing GitHub
// Actions, versitygw). Each must reach applied and merged with one
// approval — the plans TfPilot makes again after another request merges
// carry it over (flow/carry.go) — no card may ever show a failure, no run may be
// dispatched while another run of the environment has not completed (the
// run queue, not GitHub's concurrency group, orders them), nothing is
// created twice, and the GitHub calls stay within callsPerRequestBudget.
func TestQueueBurst(t *testing.T) {
	w := newWorld(t, worldOptions{})
	startCalls := w.gh.Total()
	people := make([]*person, burstRequests)
	var wg sync.WaitGroup
	for i := range people {
		p := &person{w: w, project: "p0", env: "dev", name: fmt.Sprintf("burst-%02d-b", i)}
		people[i] = p
		wg.Go(func() {
			p.open()
			if len(p.errs) == 0 {
				p.drive()
			}
		})
	}
	wg.Wait()
	repo := w.repos[0]
	calls := w.gh.Total() - startCalls

	replans := 0
	for _, p := range people {
		for _, e := range p.errs {
			t.Errorf("%s (%s): %s", p.name, p.id, e)
		}
		if p.retries > 0 {
			t.Errorf("%s: a person had to act on %d problems: %q", p.name, p.retries, p.problems)
		}
		if shown := w.failuresShown(p.root); len(shown) > 0 {
			t.Errorf("%s: its card showed failures: %q", p.name, shown)
		}
		r, err := w.get(p.id)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		recs := w.auditRecords(p.id)
		for _, e := range checkAudit(r, recs) {
			t.Errorf("%s: %s", p.name, e)
		}
		// One approval each, however many times TfPilot planned again
		// after another request merged under the plan.
		plans := 0
		for _, sp := range w.runner.Spans(repo) {
			if sp.RequestID == p.id && sp.Workflow == "plan" {
				plans++
			}
		}
		replans += plans - 1
		if n := p.approvals(recs); n != 1 {
			t.Errorf("%s: %d approvals over %d plan runs, want 1", p.name, n, plans)
		}
	}
	for _, d := range w.gh.Duplicates(repo) {
		t.Errorf("duplicate on GitHub: %s", d)
	}
	spans := w.runner.Spans(repo)
	for _, o := range ghfake.Overlaps(spans, time.Now()) {
		t.Errorf("run %d (%s of %s) dispatched at %s while run %d (%s of %s) had not completed (%s)",
			o[1].ID, o[1].Workflow, o[1].RequestID, o[1].Created.Format(time.StampMicro),
			o[0].ID, o[0].Workflow, o[0].RequestID, o[0].Completed.Format(time.StampMicro))
	}
	applies := map[string]int{}
	for _, sp := range spans {
		if sp.Pending {
			t.Errorf("run %d (%s of %s) waited pending in %s: dispatched into an occupied group", sp.ID, sp.Workflow, sp.RequestID, sp.Group)
		}
		if sp.Workflow == "apply" && sp.Conclusion == "success" {
			applies[sp.RequestID]++
		}
	}
	for _, p := range people {
		if applies[p.id] != 1 {
			t.Errorf("%s: %d successful apply runs, want 1", p.name, applies[p.id])
		}
	}
	if got := len(w.gh.State(repo, "dev")); got == 0 {
		t.Errorf("the dev state is empty after %d applies", burstRequests)
	}
	perRequest := float64(calls) / burstRequests
	t.Logf("%d requests: %d runs, %d plans made again after another merge (their approvals carried over), %d GitHub calls (%.1f per request, budget %d)",
		burstRequests, len(spans), replans, calls, perRequest, callsPerRequestBudget)
	if perRequest > callsPerRequestBudget {
		t.Errorf("%.1f GitHub calls per request, budget %d; by endpoint: %v", perRequest, callsPerRequestBudget, w.gh.Counts())
	}
	if t.Failed() {
		logSpans(t, spans)
		t.Logf("bot log:\n%s", w.stderr())
	}
}

// logSpans logs the runs' lives, for a failed test.
func logSpans(t *testing.T, spans []ghfake.RunSpan) {
	t.Helper()
	for _, sp := range spans {
		t.Logf("run %d %s of %s in %s: created %s started %s completed %s %s pending=%v", sp.ID, sp.Workflow, sp.RequestID,
			sp.Group, sp.Created.Format(time.StampMilli), sp.Started.Format(time.StampMilli), sp.Completed.Format(time.StampMilli),
			sp.Conclusion, sp.Pending)
	}
}
