package github

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// Time in BenchmarkRunNotice runs noticeScale times faster than on
// GitHub: the adapter's clock (budget, shares) and the fake's are scaled,
// the engine polls every 500ms/noticeScale and runs last 1/noticeScale of
// their GitHub time. Every figure is reported scaled back to GitHub time.
const noticeScale = 5

// noticeChat is the chat port of BenchmarkRunNotice: it records when the
// card of a request whose plan run finished is first updated past Planning.
type noticeChat struct {
	*flowtest.Chat
	mu       sync.Mutex
	finished map[string]time.Time // request → when its run was completed in the fake
	noticed  map[string]chan time.Duration
}

func (c *noticeChat) ShowCard(ctx context.Context, v flow.View) (flow.Thread, error) {
	th, err := c.Chat.ShowCard(ctx, v)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t0, ok := c.finished[v.Request.ID]; ok && v.Request.State != flow.Planning {
		delete(c.finished, v.Request.ID)
		c.noticed[v.Request.ID] <- now.Sub(t0) * noticeScale
	}
	return th, err
}

// expect registers request id, whose run is about to be completed, and
// returns where its notice latency arrives.
func (c *noticeChat) expect(id string) <-chan time.Duration {
	ch := make(chan time.Duration, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noticed[id], c.finished[id] = ch, time.Now()
	return ch
}

// BenchmarkRunNotice measures how long a finished plan run takes to reach
// the status card: the real engine (flow) over this adapter and ghfake,
// with 20 repositories of which 10 have a run in flight at any time; a run
// lasts 5–30 s (uniform) and, when it finishes, the next request starts in
// a random idle repository. Latency is from CompleteRun in the fake to the
// engine's card update past Planning, which includes reading the plan
// result. Reported, in GitHub time (the run's clock is noticeScale times
// faster, see noticeScale; the engine's own processing is scaled up with
// it, so latencies are overstated by a few ms × noticeScale): the p50 and
// p99 notice latency in seconds, the polling requests (run lists and run
// reads, counted by the fake) per minute on average and in the busiest
// minute (which must stay within DefaultPollBudget), and every other API
// request per minute.
func BenchmarkRunNotice(b *testing.B) {
	const repos, inFlight, runs = 20, 10, 200
	var lat []time.Duration
	var polls, others, busiest int
	var minutes float64
	for b.Loop() {
		l, p, o, m, d := simulateNotice(b, repos, inFlight, runs)
		lat, polls, others, busiest = append(lat, l...), polls+p, others+o, max(busiest, m)
		minutes += d.Minutes()
	}
	slices.Sort(lat)
	pct := func(q float64) float64 { return lat[int(q*float64(len(lat)-1))].Seconds() }
	b.ReportMetric(pct(0.50), "p50-notice-s")
	b.ReportMetric(pct(0.99), "p99-notice-s")
	b.ReportMetric(float64(polls)/minutes, "polls/min")
	b.ReportMetric(float64(busiest), "max-polls/min")
	b.ReportMetric(float64(others)/minutes, "other-calls/min")
	b.ReportMetric(noticeScale, "time-scale")
	b.ReportMetric(0, "ns/op")
	if busiest > DefaultPollBudget {
		b.Errorf("%d polling requests in one minute, budget %d", busiest, DefaultPollBudget)
	}
}

// simulateNotice runs the simulation once for runs runs and returns the
// notice latencies, the polling and other requests the fake served, the
// most polls in any minute, and how long it lasted, all in GitHub time.
func simulateNotice(b *testing.B, repos, inFlight, runs int) ([]time.Duration, int, int, int, time.Duration) {
	start := time.Now()
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	now := func() time.Time { return base.Add(time.Since(start) * noticeScale) }
	fl := newFleet(b, repos, map[string]string{"README.md": "# infra\n"}, Options{Now: now, Summarize: (&summarizer{}).Summarize})
	ports := flowtest.NewPorts()
	chat := &noticeChat{Chat: ports.Chat, finished: map[string]time.Time{}, noticed: map[string]chan time.Duration{}}
	cfg := ports.Config("r1")
	cfg.Repo, cfg.Runs, cfg.Chat, cfg.Workers = fl.c, fl.c, chat, 8
	cfg.PollInterval = 500 * time.Millisecond / noticeScale
	cfg.Policy.Projects = nil
	for i := range repos {
		cfg.Policy.Projects = append(cfg.Policy.Projects, flow.Project{Name: projectName(i), Repo: repoName(i), BaseBranch: "main"})
	}
	eng := flowtest.RunEngine(b, cfg)

	var (
		mu   sync.Mutex
		idle = make([]int, repos)
		lat  []time.Duration
		errs []error
		left = runs
		wg   sync.WaitGroup
	)
	for i := range idle {
		idle[i] = i
	}
	for slot := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					return
				}
				left--
				k := rand.N(len(idle))
				repo := idle[k]
				idle = slices.Delete(idle, k, k+1)
				mu.Unlock()
				d, err := notice(eng, fl, chat, repo, fmt.Sprintf("s%d-%d", slot, n))
				mu.Lock()
				if err != nil {
					errs, left = append(errs, err), 0
				}
				lat = append(lat, d)
				idle = append(idle, repo)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	polls := fl.rec.all()
	counts := fl.f.Counts()
	p := counts["GET /repos/{owner}/{repo}/actions/runs"] + counts["GET /repos/{owner}/{repo}/actions/runs/{id}"]
	busiest := maxPerMinute(polls)
	if p != len(polls) {
		b.Errorf("the fake served %d polling requests, the client sent %d", p, len(polls))
	}
	return lat, p, fl.f.Total() - p, busiest, now().Sub(base)
}

// notice takes one request in repository repo from open to a planned card
// and returns how long its finished plan run took to reach the card.
func notice(eng *flow.Engine, fl *fleet, chat *noticeChat, repo int, key string) (time.Duration, error) {
	ctx := context.Background()
	u := flow.Actor{ID: "U1"}
	r, err := eng.Open(ctx, flow.Event{Kind: flow.EvStart, Key: key, Actor: u, Project: projectName(repo), Module: "bucket",
		Environment: "dev", Inputs: map[string]string{"name": "logs-" + key}, Thread: &flow.Thread{Channel: "C1"}})
	if err != nil {
		return 0, err
	}
	if _, err := eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvConfirm, Key: key + "-confirm", Actor: u}); err != nil {
		return 0, err
	}
	var id int64
	for deadline := time.Now().Add(time.Minute); id == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the plan of %s was not dispatched", r.ID)
		}
		for _, run := range fl.f.Runs(repoName(repo)) {
			if run.Inputs["request_id"] == r.ID {
				id = run.ID
			}
		}
	}
	fl.f.StartRun(id)
	time.Sleep((5*time.Second + rand.N(25*time.Second)) / noticeScale)
	noticed := chat.expect(r.ID)
	fl.f.CompleteRun(id, "success")
	select {
	case d := <-noticed:
		return d, nil
	case <-time.After(time.Minute):
		return 0, fmt.Errorf("the finished plan of %s never reached the card", r.ID)
	}
}
