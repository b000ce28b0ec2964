package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/github"
)

// opsMetrics are the Prometheus metrics TfPilot exports on /metrics.
type opsMetrics struct {
	reg           *prometheus.Registry
	slackAcks     *prometheus.CounterVec
	slackAckTime  prometheus.Histogram
	github        *githubCollector
	effectRetries *prometheus.CounterVec
	effectsFailed *prometheus.CounterVec
}

func newOpsMetrics(lister requestLister) *opsMetrics {
	m := &opsMetrics{
		reg: prometheus.NewRegistry(),
		slackAcks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tfpilot_slack_acks_total", Help: "Socket Mode envelopes acknowledged, by envelope type.",
		}, []string{"type"}),
		slackAckTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tfpilot_slack_ack_seconds", Help: "Time from receiving a Socket Mode envelope to its ack.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 3},
		}),
		github: &githubCollector{},
		effectRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tfpilot_effect_retries_total", Help: "Effects retried after a failure, by effect kind.",
		}, []string{"effect"}),
		effectsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tfpilot_effects_exhausted_total", Help: "Effects that ran out of retries and wait for a person's Retry, by effect kind.",
		}, []string{"effect"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.slackAcks, m.slackAckTime, m.github, m.effectRetries, m.effectsFailed,
	)
	if lister != nil {
		m.reg.MustRegister(&stateCollector{lister: lister, ttl: 15 * time.Second})
	}
	return m
}

// flowObserver counts the engine's effect retries and exhausted effects.
func (m *opsMetrics) flowObserver() flow.Observer {
	return flow.Observer{
		EffectRetried:   func(k flow.EffectKind) { m.effectRetries.WithLabelValues(k.String()).Inc() },
		EffectExhausted: func(k flow.EffectKind) { m.effectsFailed.WithLabelValues(k.String()).Inc() },
	}
}

// watchGitHub makes /metrics report the GitHub adapter's counters.
func (m *opsMetrics) watchGitHub(stats func() github.Stats) {
	m.github.mu.Lock()
	defer m.github.mu.Unlock()
	m.github.stats = stats
}

// githubCollector reads the adapter's counters at scrape time.
type githubCollector struct {
	mu    sync.Mutex
	stats func() github.Stats
}

var (
	githubCallsDesc = prometheus.NewDesc("tfpilot_github_calls_total",
		"GitHub REST calls, by kind: read, write, retry (repeats after a fault or rate limit), not_modified (free 304s).", []string{"kind"}, nil)
	githubRemainDesc = prometheus.NewDesc("tfpilot_github_rate_limit_remaining",
		"Primary rate-limit requests remaining, as last reported by GitHub (-1: not seen yet).", nil, nil)
)

func (c *githubCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- githubCallsDesc
	ch <- githubRemainDesc
}

func (c *githubCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	stats := c.stats
	c.mu.Unlock()
	if stats == nil {
		return
	}
	s := stats()
	ch <- prometheus.MustNewConstMetric(githubCallsDesc, prometheus.CounterValue, float64(s.Calls-s.Writes), "read")
	ch <- prometheus.MustNewConstMetric(githubCallsDesc, prometheus.CounterValue, float64(s.Writes), "write")
	ch <- prometheus.MustNewConstMetric(githubCallsDesc, prometheus.CounterValue, float64(s.Retries), "retry")
	ch <- prometheus.MustNewConstMetric(githubCallsDesc, prometheus.CounterValue, float64(s.NotModified), "not_modified")
	ch <- prometheus.MustNewConstMetric(githubRemainDesc, prometheus.GaugeValue, float64(s.RateLimitRemaining))
}

// requestLister is the part of the store the state gauge needs.
type requestLister interface {
	List(ctx context.Context, f flow.Filter) ([]*flow.Request, error)
}

// stateCollector reports requests by state. Listing is cached for ttl so a
// busy scraper cannot turn into a busy store.
type stateCollector struct {
	lister requestLister
	ttl    time.Duration

	mu     sync.Mutex
	at     time.Time
	counts map[flow.State]int
}

var requestsDesc = prometheus.NewDesc("tfpilot_requests", "Requests by state.", []string{"state"}, nil)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- requestsDesc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil || time.Since(c.at) > c.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		reqs, err := c.lister.List(ctx, flow.Filter{})
		cancel()
		if err == nil {
			c.counts = map[flow.State]int{}
			for _, r := range reqs {
				c.counts[r.State]++
			}
			c.at = time.Now()
		}
	}
	for _, s := range flow.States() {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(c.counts[s]), s.String())
	}
}

// readiness collects named checks; /readyz is 200 only when all pass.
type readiness struct {
	mu     sync.Mutex
	checks map[string]func(context.Context) error
}

func (r *readiness) add(name string, check func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.checks == nil {
		r.checks = map[string]func(context.Context) error{}
	}
	r.checks[name] = check
}

func (r *readiness) check(ctx context.Context) map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]error{}
	for name, c := range r.checks {
		if err := c(ctx); err != nil {
			out[name] = err
		}
	}
	return out
}

// opsHandler serves /healthz (the process is up), /readyz (its dependencies
// answer) and /metrics.
func opsHandler(m *opsMetrics, ready *readiness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		failed := ready.check(ctx)
		if len(failed) == 0 {
			w.Write([]byte("ready\n"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		for name, err := range failed {
			w.Write([]byte(name + ": " + err.Error() + "\n"))
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return mux
}

// serveOps runs the ops HTTP server until ctx is done.
func serveOps(ctx context.Context, addr string, h http.Handler, log *zap.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	log.Info("ops server listening", zap.String("addr", ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
