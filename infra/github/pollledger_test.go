package github

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// memLedger is a PollLedger in memory, as the store keeps it: one window
// and what was reserved in it.
type memLedger struct {
	mu     sync.Mutex
	window time.Time
	used   int
	calls  map[time.Time]int // window → Reserve calls
}

func (l *memLedger) Reserve(_ context.Context, window time.Time, n, budget int) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[time.Time]int{}
	}
	l.calls[window]++
	if window.After(l.window) {
		l.window, l.used = window, 0
	}
	got := max(min(n, budget-l.used), 0)
	l.used += got
	return got, nil
}

// TestPollBudgetSharedByReplicas runs two replicas (two Clients on one
// fake, sharing one ledger) following runs the way the engine does, each
// in 10 repositories of its own, for six minutes on a fake clock. Together
// they never poll more than the budget in any clock minute, the ledger is
// asked a few times a minute, and neither replica is starved: each gets at
// least a third of the budget every full minute.
func TestPollBudgetSharedByReplicas(t *testing.T) {
	clk := newClock()
	ledger := &memLedger{}
	fl := newFleet(t, 20, map[string]string{"README.md": "x"}, Options{Now: clk.Now, Sleep: clk.Sleep, PollLedger: ledger})
	other, err := New(Options{Projects: fl.c.projects, HTTPClient: &http.Client{Transport: fl.rec}, BaseURL: fl.f.URL,
		Token: ghfake.Token, Logger: zap.NewNop(), Now: clk.Now, Sleep: clk.Sleep, PollLedger: ledger})
	if err != nil {
		t.Fatal(err)
	}
	type followed struct {
		c       *Client
		project string
		run     flow.Run
	}
	var runs []followed
	for i := range 20 {
		c := fl.c
		if i >= 10 {
			c = other
		}
		id := fl.f.AddRun(repoName(i), "plan", "main", map[string]string{"request_id": fmt.Sprintf("req-%d", i), "environment": "dev"})
		fl.f.StartRun(id)
		runs = append(runs, followed{c, projectName(i), flow.Run{Workflow: flow.WorkflowPlan, ID: id, Status: flow.RunInProgress}})
	}
	start := clk.Now()
	for clk.Now().Sub(start) < 6*time.Minute {
		for _, r := range runs {
			if _, err := r.c.Status(context.Background(), r.project, r.run); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(100 * time.Millisecond)
	}

	budget := DefaultPollBudget
	type minute struct{ first, second int }
	perMinute := map[time.Time]*minute{}
	for _, p := range fl.rec.all() {
		w := p.at.UTC().Truncate(time.Minute)
		if perMinute[w] == nil {
			perMinute[w] = &minute{}
		}
		if p.repo < repoName(10) {
			perMinute[w].first++
		} else {
			perMinute[w].second++
		}
	}
	if len(perMinute) < 6 {
		t.Fatalf("polls in %d clock minutes, want at least 6", len(perMinute))
	}
	for w, m := range perMinute {
		if m.first+m.second > budget {
			t.Errorf("minute %s: %d polls by the first replica and %d by the second, together more than the budget %d", w.Format("15:04"), m.first, m.second, budget)
		}
		full := !w.Before(start) && w.Add(time.Minute).Before(clk.Now())
		if full && (m.first < budget/3 || m.second < budget/3) {
			t.Errorf("minute %s: %d polls by the first replica and %d by the second; want each at least %d", w.Format("15:04"), m.first, m.second, budget/3)
		}
	}
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	for w, n := range ledger.calls {
		if n > 2*budget/5+4 {
			t.Errorf("minute %s: the ledger was asked %d times, want a few (batches of 5)", w.Format("15:04"), n)
		}
	}
	for w, m := range perMinute {
		t.Logf("minute %s: %d + %d polls, %d ledger calls", w.Format("15:04"), m.first, m.second, ledger.calls[w])
	}
}
