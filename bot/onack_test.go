package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"go.uber.org/zap/zaptest"
)

// ackCall is one OnAck call, with the fake's view of the same ack.
type ackCall struct {
	typ       string
	bot, fake time.Duration
}

// TestOnAck: every envelope, whichever path acks it (the event loop, or
// modal validation off it), is reported once with its type, and the time
// reported lies inside the time Slack waited for that ack.
func TestOnAck(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	var (
		mu      sync.Mutex
		botAcks []ackCall
	)
	eng := &slowEngine{seen: map[string][]flow.EventKind{}}
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), Logger: zaptest.NewLogger(t),
		Engine: eng, PostInterval: -1,
		OnAck: func(typ string, d time.Duration) {
			mu.Lock()
			botAcks = append(botAcks, ackCall{typ: typ, bot: d})
			mu.Unlock()
		}})
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
	var fakeAcks []ackCall
	fake.OnAck = func(typ string, d time.Duration) { fakeAcks = append(fakeAcks, ackCall{typ: typ, fake: d}) }

	// One envelope at a time, so the bot's and the fake's calls pair up.
	send := []func() error{
		func() error { _, err := fake.SlashCommand(ctx, "U1", "C1", "help"); return err }, // ack with a payload
		func() error {
			_, err := fake.Click(ctx, slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "approve:0", Value: "r1", ActionTS: "5.5", EnvelopeID: "e1"})
			return err
		},
		func() error { // a retry of the same click: dropped, but acked
			_, err := fake.Click(ctx, slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "approve:0", Value: "r1", ActionTS: "5.5", EnvelopeID: "e1", RetryAttempt: 1})
			return err
		},
		func() error { _, err := fake.Message(ctx, "U1", "C1", "1.1", "name=x"); return err },
		func() error { // validated (and acked) off the event loop
			_, err := fake.Send(ctx, slackfake.Envelope{Type: "interactive", Payload: map[string]any{
				"type": "view_submission", "trigger_id": "t1", "user": map[string]any{"id": "U1"},
				"view": map[string]any{"id": "V1", "callback_id": CallbackInputs, "private_metadata": "not|meta"}}})
			return err
		},
	}
	for _, f := range send {
		if err := f(); err != nil {
			t.Fatal(err)
		}
		for !s.idle() {
			waitABit()
		}
	}

	mu.Lock()
	defer mu.Unlock()
	typ := func(cs []ackCall) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.typ)
		}
		return out
	}
	want := []string{"slash_commands", "interactive", "interactive", "events_api", "interactive"}
	if diff := cmp.Diff(want, typ(botAcks)); diff != "" {
		t.Fatalf("OnAck calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, typ(fakeAcks)); diff != "" {
		t.Fatalf("acks the fake read (-want +got):\n%s", diff)
	}
	// The bot's interval (envelope received → ack handed to the writer)
	// is nested in Slack's (frame sent → ack read).
	for i, c := range botAcks {
		if c.bot < 0 || c.bot > fakeAcks[i].fake {
			t.Errorf("ack %d (%s): OnAck got %v, outside the %v Slack waited", i, c.typ, c.bot, fakeAcks[i].fake)
		}
	}
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if n := len(s.received); n != 0 {
		t.Errorf("%d envelopes still remembered after their acks", n)
	}
}

// TestOnAckNil: without an observer nothing is remembered per envelope.
func TestOnAckNil(t *testing.T) {
	s, err := NewSlack(Options{BotToken: "xoxb-t", AppToken: "xapp-t"})
	if err != nil {
		t.Fatal(err)
	}
	if s.received != nil {
		t.Error("received map allocated without OnAck")
	}
}
