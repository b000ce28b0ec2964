package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"go.uber.org/zap/zaptest"
)

func newTestChat(t *testing.T, fake *slackfake.Fake) *Chat {
	t.Helper()
	c, err := NewChat(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t), PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRateLimitAndErrors: a 429 is retried after Retry-After; ok:false is
// returned as an error naming the call.
func TestRateLimitAndErrors(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s := newTestChat(t, fake)
	r := &flow.Request{ID: "r1", Thread: flow.Thread{Channel: "C1", TS: "1.1"}}
	fake.Fail("chat.postMessage", slackfake.Fault{RetryAfter: 1})
	if err := s.Reply(context.Background(), r, "hello <world> & co"); err != nil {
		t.Fatalf("Reply after a 429: %v", err)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("chat.postMessage calls = %d, want 2 (429, then retry)", len(calls))
	}
	got := []string{calls[1].Param("channel"), calls[1].Param("thread_ts"), calls[1].Param("text")}
	if diff := cmp.Diff([]string{"C1", "1.1", "hello &lt;world&gt; &amp; co"}, got); diff != "" {
		t.Errorf("reply (-want +got):\n%s", diff)
	}
	fake.Fail("chat.postMessage", slackfake.Fault{Error: "channel_not_found"})
	if err := s.Reply(context.Background(), r, "x"); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("Reply with ok:false = %v, want channel_not_found", err)
	}
}

// TestShowCardPostsThenUpdates: the first ShowCard posts and returns the
// thread with its permalink; the next updates the same message.
func TestShowCardPostsThenUpdates(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s := newTestChat(t, fake)
	r := sample(flow.Planning)
	r.Thread = flow.Thread{Channel: "C9"}
	th, err := s.ShowCard(context.Background(), flow.View{Request: r})
	if err != nil {
		t.Fatal(err)
	}
	want := flow.Thread{Channel: "C9", TS: th.TS, URL: "https://fake.slack.com/archives/C9/p" + strings.ReplaceAll(th.TS, ".", "")}
	if diff := cmp.Diff(want, th); diff != "" || th.TS == "" {
		t.Errorf("thread (-want +got):\n%s", diff)
	}
	r.Thread, r.State = th, flow.Applied
	if _, err := s.ShowCard(context.Background(), flow.View{Request: r}); err != nil {
		t.Fatal(err)
	}
	if n, u := len(fake.Calls("chat.postMessage")), len(fake.Calls("chat.update")); n != 1 || u != 1 {
		t.Errorf("postMessage %d, update %d; want 1 and 1", n, u)
	}
	if m, _ := fake.Get("C9", th.TS); !strings.Contains(m.Text, "Applied") {
		t.Errorf("card text after update = %q", m.Text)
	}
}

// TestQueueOrderPerKey: jobs of one key run in order, one at a time.
func TestQueueOrderPerKey(t *testing.T) {
	q := newQueue(100)
	q.start(context.Background(), 4)
	got := map[string][]int{}
	running := map[string]bool{}
	var mu = make(chan struct{}, 1)
	for i := range 20 {
		key := []string{"a", "b"}[i%2]
		q.submit(key, func(context.Context) {
			mu <- struct{}{}
			if running[key] {
				t.Errorf("two jobs of %s at once", key)
			}
			running[key] = true
			<-mu
			mu <- struct{}{}
			got[key] = append(got[key], i)
			running[key] = false
			<-mu
		})
	}
	if left := q.close(10e9); left != 0 {
		t.Fatalf("%d jobs left", left)
	}
	want := map[string][]int{"a": {0, 2, 4, 6, 8, 10, 12, 14, 16, 18}, "b": {1, 3, 5, 7, 9, 11, 13, 15, 17, 19}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestDuplicateDeliveries: a retried envelope and a double click reach the
// engine once.
func TestDuplicateDeliveries(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	eng := &slowEngine{seen: map[string][]flow.EventKind{}}
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t), Engine: eng, PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	click := slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "approve:0", Value: "r1", ActionTS: "5.5", EnvelopeID: "e1"}
	for _, c := range []slackfake.Click{click, {User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "approve:0", Value: "r1", ActionTS: "5.5", EnvelopeID: "e1", RetryAttempt: 1},
		{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "approve:0", Value: "r1", ActionTS: "5.5"}} {
		if _, err := fake.Click(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fake.Click(ctx, slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "cancel:1", Value: "r1", ActionTS: "6.6"}); err != nil {
		t.Fatal(err)
	}
	for !s.idle() {
		waitABit()
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if diff := cmp.Diff([]flow.EventKind{flow.EvApprove, flow.EvCancel}, eng.seen["r1"]); diff != "" {
		t.Errorf("events reaching the engine (-want +got):\n%s", diff)
	}
}
