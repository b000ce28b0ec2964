package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"go.uber.org/zap/zaptest"
)

// runBot runs a bot with n Socket Mode connections against fake until the
// test ends, and waits until the fake has them all.
func runBot(t *testing.T, fake *slackfake.Fake, n int) (*Slack, *slowEngine) {
	t.Helper()
	eng := &slowEngine{seen: map[string][]flow.EventKind{}}
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t),
		Engine: eng, PostInterval: -1, Connections: n})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	wait, cancelWait := context.WithTimeout(ctx, 10*time.Second)
	defer cancelWait()
	if err := fake.WaitConns(wait, n); err != nil {
		t.Fatal(err)
	}
	return s, eng
}

// click is one click on the card of request id (in its own thread), with
// envelope ID env.
func click(id, action, env string) slackfake.Click {
	return slackfake.Click{User: "U2", Channel: "C1", MessageTS: "1." + strings.TrimPrefix(id, "r"),
		ActionID: action, Value: id, ActionTS: env, EnvelopeID: env}
}

// clickAll sends clicks concurrently and fails the test on any error.
func clickAll(t *testing.T, fake *slackfake.Fake, clicks []slackfake.Click) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(clicks))
	for _, c := range clicks {
		wg.Go(func() {
			if _, err := fake.Click(t.Context(), c); err != nil {
				errs <- fmt.Errorf("click %s: %w", c.EnvelopeID, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func waitIdle(s *Slack) {
	for !s.idle() {
		waitABit()
	}
}

// handled is what the engine saw, per request.
func handled(eng *slowEngine) map[string][]flow.EventKind {
	eng.mu.Lock()
	defer eng.mu.Unlock()
	out := map[string][]flow.EventKind{}
	for id, kinds := range eng.seen {
		out[id] = append([]flow.EventKind(nil), kinds...)
	}
	return out
}

// approvals is the engine's view of n requests approved once each.
func approvals(n int) map[string][]flow.EventKind {
	out := map[string][]flow.EventKind{}
	for i := range n {
		out[fmt.Sprintf("r%d", i)] = []flow.EventKind{flow.EvApprove}
	}
	return out
}

func TestConnectionsOption(t *testing.T) {
	tests := []struct {
		name    string
		asked   int
		want    int
		wantErr bool
	}{
		{name: "default", asked: 0, want: 2},
		{name: "one", asked: 1, want: 1},
		{name: "Slack's limit", asked: MaxConnections, want: MaxConnections},
		{name: "over the limit", asked: MaxConnections + 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", Connections: tc.asked})
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewSlack(Connections: %d) error = %v, want error: %v", tc.asked, err, tc.wantErr)
			}
			if err == nil && len(s.conns) != tc.want {
				t.Errorf("Connections %d: %d connections, want %d", tc.asked, len(s.conns), tc.want)
			}
		})
	}
}

// TestConnectionsSpread: with two connections the fake spreads envelopes
// over both, and each envelope is acked once, on the connection it came
// on, and handled once.
func TestConnectionsSpread(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s, eng := runBot(t, fake, 2)

	const n = 64
	var clicks []slackfake.Click
	for i := range n {
		clicks = append(clicks, click(fmt.Sprintf("r%d", i), "approve:0", fmt.Sprintf("e%d", i)))
	}
	clickAll(t, fake, clicks)
	waitIdle(s)

	conns := fake.Conns()
	if len(conns) != 2 {
		t.Fatalf("connections = %+v, want 2", conns)
	}
	for _, c := range conns {
		if c.Envelopes == 0 {
			t.Errorf("connection %d got no envelopes: %+v", c.ID, conns)
		}
		if c.Acks != c.Envelopes {
			t.Errorf("connection %d: %d acks for %d envelopes (acks must go back on the envelope's connection)", c.ID, c.Acks, c.Envelopes)
		}
	}
	for _, c := range clicks {
		if got := fake.AckCount(c.EnvelopeID); got != 1 {
			t.Errorf("envelope %s acked %d times, want 1", c.EnvelopeID, got)
		}
	}
	if diff := cmp.Diff(approvals(n), handled(eng)); diff != "" {
		t.Errorf("events handled (-want +got):\n%s", diff)
	}
	assertForgotten(t, s)
}

// TestConnectionsDuplicate: an envelope delivered on both connections is
// acked on each and handled once.
func TestConnectionsDuplicate(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s, eng := runBot(t, fake, 2)

	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		c := click(fmt.Sprintf("r%d", i), "approve:0", fmt.Sprintf("e%d", i))
		env := fake.ClickEnvelope(c)
		for _, conn := range []int{1, 2} {
			wg.Go(func() {
				if _, err := fake.SendOn(t.Context(), conn, env); err != nil {
					t.Errorf("envelope %s on connection %d: %v", env.ID, conn, err)
				}
			})
		}
	}
	wg.Wait()
	waitIdle(s)

	for i := range n {
		if got := fake.AckCount(fmt.Sprintf("e%d", i)); got != 2 {
			t.Errorf("envelope e%d delivered twice, acked %d times, want 2", i, got)
		}
	}
	if diff := cmp.Diff(approvals(n), handled(eng)); diff != "" {
		t.Errorf("events handled (-want +got):\n%s", diff)
	}
	assertForgotten(t, s)
}

// TestConnectionsDuplicateRandom: a retry (same action, new envelope) that
// lands on another connection than the first delivery is dropped too.
func TestConnectionsDuplicateRandom(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	fake.Spread = slackfake.SpreadRandom
	s, eng := runBot(t, fake, 2)

	const n = 64
	var clicks []slackfake.Click
	for i := range n {
		first := click(fmt.Sprintf("r%d", i), "approve:0", fmt.Sprintf("e%d", i))
		retry := first
		retry.EnvelopeID, retry.RetryAttempt = first.EnvelopeID+"-retry", 1
		clicks = append(clicks, first, retry)
	}
	clickAll(t, fake, clicks)
	waitIdle(s)

	for _, c := range fake.Conns() {
		if c.Envelopes == 0 {
			t.Errorf("connection %d got no envelopes: %+v", c.ID, fake.Conns())
		}
	}
	if diff := cmp.Diff(approvals(n), handled(eng)); diff != "" {
		t.Errorf("events handled (-want +got):\n%s", diff)
	}
}

// TestConnectionsOrderPerThread: with per-thread spreading, each thread's
// clicks reach the engine in the order Slack sent them, even when they
// are sent without waiting for acks.
func TestConnectionsOrderPerThread(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s, eng := runBot(t, fake, 2)

	const threads = 100
	actions := []string{"approve:0", "replan:1", "cancel:2"}
	var wg sync.WaitGroup
	sent := 0
	for round, action := range actions {
		for th := range threads {
			c := click(fmt.Sprintf("r%d", th), action, fmt.Sprintf("e%d-%d", th, round))
			wg.Go(func() {
				if _, err := fake.Click(t.Context(), c); err != nil {
					t.Error(err)
				}
			})
			// Queue them in this order: each Click is queued before the
			// next starts, none waits for an earlier one's ack.
			sent++
			for queued(fake) < sent {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	wg.Wait()
	waitIdle(s)

	got := handled(eng)
	want := map[string][]flow.EventKind{}
	for th := range threads {
		want[fmt.Sprintf("r%d", th)] = []flow.EventKind{flow.EvApprove, flow.EvReplan, flow.EvCancel}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events per request, in order handled (-want +got):\n%s", diff)
	}
	for _, c := range fake.Conns() {
		if c.Envelopes == 0 {
			t.Errorf("connection %d got no envelopes: %+v", c.ID, fake.Conns())
		}
	}
}

func queued(fake *slackfake.Fake) int {
	n := 0
	for _, c := range fake.Conns() {
		n += c.Envelopes
	}
	return n
}

// TestConnectionsDrop: while one connection is refreshed or lost, the
// envelopes sent meanwhile go to the other and none is lost; the dropped
// one is replaced.
func TestConnectionsDrop(t *testing.T) {
	tests := []struct {
		name string
		drop func(f *slackfake.Fake) error
	}{
		{name: "refresh_requested", drop: func(f *slackfake.Fake) error { return f.DisconnectConn(1, "refresh_requested") }},
		{name: "closed", drop: func(f *slackfake.Fake) error { return f.CloseConn(1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := slackfake.New()
			defer fake.Close()
			s, eng := runBot(t, fake, 2)

			if err := tc.drop(fake); err != nil {
				t.Fatal(err)
			}
			const n = 64
			var clicks []slackfake.Click
			for i := range n {
				clicks = append(clicks, click(fmt.Sprintf("r%d", i), "approve:0", fmt.Sprintf("e%d", i)))
			}
			clickAll(t, fake, clicks)
			waitIdle(s)

			for _, c := range clicks {
				if got := fake.AckCount(c.EnvelopeID); got != 1 {
					t.Errorf("envelope %s acked %d times, want 1", c.EnvelopeID, got)
				}
			}
			if diff := cmp.Diff(approvals(n), handled(eng)); diff != "" {
				t.Errorf("events handled (-want +got):\n%s", diff)
			}
			if c := fake.Conns()[0]; c.Envelopes != 0 {
				t.Errorf("dropped connection got %d envelopes after it was dropped", c.Envelopes)
			}
			// The bot opens a connection in place of the dropped one.
			wait, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := fake.WaitConns(wait, 2); err != nil {
				t.Fatal(err)
			}
			if opens := fake.Opens(); opens != 3 {
				t.Errorf("apps.connections.open called %d times, want 3 (two, then one reconnect)", opens)
			}
		})
	}
}

// TestReady follows one bot's readiness: not before Run, ready once a
// connection said hello, not while every connection is lost and reopening
// fails, ready again after a reconnect, not after Run returns.
func TestReady(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	eng := &slowEngine{seen: map[string][]flow.EventKind{}}
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t),
		Engine: eng, PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	notReady := func(what, why string) {
		t.Helper()
		err := s.Ready()
		if !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: Ready() = %v, want %v saying %q", what, err, ErrNotConnected, why)
		}
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still not so after 10 s (Ready() = %v)", what, s.Ready())
			}
		}
	}
	notReady("before Run", "not started")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor("ready after hello", func() bool { return s.Ready() == nil })
	// Both connections must be live on the fake's side before it closes
	// them all: Ready turns true with the first one.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := fake.WaitConns(wctx, 2); err != nil {
		t.Fatal(err)
	}
	wcancel()

	// Every connection lost; reopening fails a few times (with backoff).
	fake.Fail("apps.connections.open", slackfake.Fault{Error: "internal_error"}, slackfake.Fault{Error: "internal_error"},
		slackfake.Fault{Error: "internal_error"}, slackfake.Fault{Error: "internal_error"})
	fake.CloseConns()
	waitFor("not ready with no connection", func() bool { return s.Ready() != nil })
	notReady("no connection", "connect")
	waitFor("ready after a reconnect", func() bool { return s.Ready() == nil })

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	notReady("after Run", "stopped")
}

// TestReadyInvalidAuth: a revoked app token stops Run, and Ready says why.
func TestReadyInvalidAuth(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	fake.Fail("apps.connections.open", slackfake.Fault{Error: "invalid_auth"}, slackfake.Fault{Error: "invalid_auth"})
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t),
		Engine: &slowEngine{seen: map[string][]flow.EventKind{}}, PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("Run = %v, want invalid_auth", err)
	}
	if err := s.Ready(); !errors.Is(err, ErrNotConnected) || err.Error() != "no Socket Mode connection: invalid_auth" {
		t.Errorf("Ready() = %v, want no Socket Mode connection: invalid_auth", err)
	}
}

// TestRunStopsEveryConnection: when Run returns, the bot holds no
// connection and opens none.
func TestRunStopsEveryConnection(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t),
		Engine: &slowEngine{seen: map[string][]flow.EventKind{}}, PostInterval: -1, Connections: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if err := fake.WaitConns(ctx, 3); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	wait, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWait()
	if err := fake.WaitConns(wait, 0); err != nil {
		t.Fatalf("after Run returned: %v", err)
	}
	if opens := fake.Opens(); opens != 3 {
		t.Errorf("apps.connections.open called %d times, want 3", opens)
	}
}

// assertForgotten: nothing is left of the envelopes once they are acked.
func assertForgotten(t *testing.T, s *Slack) {
	t.Helper()
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if n := len(s.via); n != 0 {
		t.Errorf("%d envelopes still remembered after their acks", n)
	}
}
