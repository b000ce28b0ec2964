package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/github"
)

type fakeLister []*flow.Request

func (f fakeLister) List(context.Context, flow.Filter) ([]*flow.Request, error) { return f, nil }

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpsEndpoints(t *testing.T) {
	m := newOpsMetrics(fakeLister{{State: flow.Applied}, {State: flow.Applied}, {State: flow.AwaitingApproval}})
	m.slackAcks.WithLabelValues("slash_commands").Inc()
	m.watchGitHub(func() github.Stats { return github.Stats{Calls: 10, Writes: 4, RateLimitRemaining: 4321} })
	obs := m.flowObserver()
	obs.EffectRetried(flow.EffOpenChange)
	obs.EffectRetried(flow.EffOpenChange)
	obs.EffectExhausted(flow.EffDispatchPlan)
	var ready readiness
	storeErr := errors.New("store unreachable")
	ready.add("store", func(context.Context) error { return storeErr })
	srv := httptest.NewServer(opsHandler(m, &ready))
	defer srv.Close()

	if code, body := get(t, srv, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, srv, "/readyz"); code != 503 || !strings.Contains(body, "store: store unreachable") {
		t.Errorf("/readyz with a failing check = %d %q, want 503 naming the check", code, body)
	}
	storeErr = nil
	if code, _ := get(t, srv, "/readyz"); code != 200 {
		t.Errorf("/readyz with passing checks = %d, want 200", code)
	}
	code, body := get(t, srv, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`tfpilot_requests{state="applied"} 2`,
		`tfpilot_requests{state="awaiting_approval"} 1`,
		`tfpilot_requests{state="planning"} 0`,
		`tfpilot_slack_acks_total{type="slash_commands"} 1`,
		`tfpilot_github_rate_limit_remaining 4321`,
		`tfpilot_github_calls_total{kind="read"} 6`,
		`tfpilot_github_calls_total{kind="write"} 4`,
		`tfpilot_effect_retries_total{effect="open_change"} 2`,
		`tfpilot_effects_exhausted_total{effect="dispatch_plan"} 1`,
		`tfpilot_slack_ack_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
