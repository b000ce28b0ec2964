package github

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// pollPath matches the requests Status polls with: a repository's run list
// and a single run.
var pollPath = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/actions/runs(/\d+)?$`)

// poll is one polling request as the wire saw it.
type poll struct {
	at   time.Time
	repo string
}

// pollRecorder is an http.RoundTripper that records every polling request
// with the time on the test's clock.
type pollRecorder struct {
	next http.RoundTripper
	now  func() time.Time

	mu    sync.Mutex
	polls []poll
}

func (p *pollRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if m := pollPath.FindStringSubmatch(req.URL.Path); m != nil && req.Method == http.MethodGet {
		p.mu.Lock()
		p.polls = append(p.polls, poll{at: p.now(), repo: m[1]})
		p.mu.Unlock()
	}
	return p.next.RoundTrip(req)
}

func (p *pollRecorder) all() []poll {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]poll(nil), p.polls...)
}

// maxPerMinute returns the most polls in any minute [t, t+1m).
func maxPerMinute(polls []poll) int {
	most := 0
	for i := range polls {
		n := 0
		for j := i; j < len(polls) && polls[j].at.Sub(polls[i].at) < time.Minute; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// fleet is an installation of many repositories on one fake, each its own
// project ("p00" is acme/r00), with a client whose polls are recorded.
type fleet struct {
	f   *ghfake.Fake
	c   *Client
	rec *pollRecorder
}

func repoName(i int) string { return fmt.Sprintf("acme/r%02d", i) }

func projectName(i int) string { return fmt.Sprintf("p%02d", i) }

func newFleet(tb testing.TB, repos int, files map[string]string, o Options) *fleet {
	tb.Helper()
	f := ghfake.New(tb)
	o.Projects = map[string]Repo{}
	for i := range repos {
		name := fmt.Sprintf("r%02d", i)
		f.AddRepo("acme", name, "main", files)
		o.Projects[projectName(i)] = Repo{Owner: "acme", Name: name, BaseBranch: "main"}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f.SetNow(o.Now)
	rec := &pollRecorder{next: f.Client().Transport, now: o.Now}
	o.HTTPClient, o.BaseURL, o.Token = &http.Client{Transport: rec}, f.URL, ghfake.Token
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	c, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return &fleet{f: f, c: c, rec: rec}
}

// TestPollBudget follows runs the way the engine does — Status for every
// run in flight every 100 ms — in 10 of 20 repositories for six minutes on
// a fake clock; halfway, the runs of five repositories finish. Polling
// never takes more than the budget in any minute, repositories without runs
// in flight get no call, every repository in flight gets its fair share (a
// poll at least every 10 × 0.5 s, plus a token's wait; every 5 × 0.5 s once
// only five are left), and a finished run is seen within its repository's
// share.
func TestPollBudget(t *testing.T) {
	clk := newClock()
	fl := newFleet(t, 20, map[string]string{"README.md": "x"}, Options{Now: clk.Now, Sleep: clk.Sleep})
	const tick = 100 * time.Millisecond
	type followed struct {
		project, repo string
		run           flow.Run
	}
	var runs []followed
	for i := range 10 {
		for j := range 1 + i%3 { // one to three runs in each busy repository
			id := fl.f.AddRun(repoName(i), "plan", "main", map[string]string{"request_id": fmt.Sprintf("req-%d-%d", i, j), "environment": fmt.Sprintf("env%d", j)})
			fl.f.StartRun(id)
			runs = append(runs, followed{projectName(i), repoName(i), flow.Run{Workflow: flow.WorkflowPlan, ID: id, Status: flow.RunInProgress}})
		}
	}
	start := clk.Now()
	finishAt := start.Add(3 * time.Minute)
	seen := map[string]time.Time{} // repo → when its finished runs were all seen done
	for clk.Now().Sub(start) < 6*time.Minute {
		if clk.Now().Equal(finishAt) {
			for _, r := range runs {
				if r.repo >= repoName(5) {
					fl.f.CompleteRun(r.run.ID, "success")
				}
			}
		}
		left := runs[:0]
		for _, r := range runs {
			st, err := fl.c.Status(context.Background(), r.project, r.run)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status.Done() {
				seen[r.repo] = clk.Now()
				continue // the engine stops following a finished run
			}
			left = append(left, r)
		}
		runs = left
		clk.Advance(tick)
	}

	polls := fl.rec.all()
	budget := DefaultPollBudget
	if got := maxPerMinute(polls); got > budget {
		t.Errorf("%d polls in one minute, budget %d", got, budget)
	}
	last := map[string]time.Time{}
	gap := time.Minute / time.Duration(budget-pollBurst)
	share := 10*gap + gap + tick
	for _, p := range polls {
		// Once the finished runs were seen, the five repositories left
		// share the budget: each gets twice the turns.
		if prev, ok := last[p.repo]; ok && prev.After(finishAt.Add(share)) && p.at.Sub(prev) > 5*gap+gap+tick {
			t.Errorf("repository %s waited %s between polls (from %s) with 5 repositories in flight", p.repo, p.at.Sub(prev), prev.Sub(start))
		}
		if p.repo >= repoName(10) {
			t.Errorf("idle repository %s polled at %s", p.repo, p.at.Sub(start))
		}
		if p.repo >= repoName(5) && p.repo < repoName(10) && p.at.After(seen[p.repo]) {
			t.Errorf("repository %s polled at %s, after its runs were seen done at %s", p.repo, p.at.Sub(start), seen[p.repo].Sub(start))
		}
		if prev, ok := last[p.repo]; ok && p.at.Sub(prev) > share {
			t.Errorf("repository %s waited %s between polls (from %s), more than its share %s", p.repo, p.at.Sub(prev), prev.Sub(start), share)
		}
		last[p.repo] = p.at
	}
	for i := 5; i < 10; i++ {
		if d := seen[repoName(i)].Sub(finishAt); d < 0 || d > share {
			t.Errorf("runs of %s finished at 3m, seen done %s later; want within %s", repoName(i), d, share)
		}
	}
	for i := range 5 {
		if d := clk.Now().Sub(last[repoName(i)]); d > share {
			t.Errorf("repository %s with runs in flight last polled %s before the end", repoName(i), d)
		}
	}
	t.Logf("%d polls in 6 minutes, at most %d in a minute (budget %d)", len(polls), maxPerMinute(polls), budget)
}
