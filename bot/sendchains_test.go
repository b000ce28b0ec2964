package bot

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// TestSendChains checks the fake Slack's load driver that
// BenchmarkAckUnderLoad uses: every envelope of every chain is delivered
// and acked once, each chain in order, with one OnAck per envelope.
func TestSendChains(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	var acks atomic.Int64
	fake.OnAck = func(string, time.Duration) { acks.Add(1) }
	s, eng := runBot(t, fake, 2)
	ctx := t.Context()
	const chains = 40
	var in [][]slackfake.Envelope
	for th := range chains {
		var chain []slackfake.Envelope
		for _, action := range []string{"approve:0", "replan:1", "cancel:2"} {
			chain = append(chain, fake.ClickEnvelope(slackfake.Click{User: "U2", Channel: "C1",
				MessageTS: fmt.Sprintf("1.%d", th), ActionID: action, Value: fmt.Sprintf("req-%d", th)}))
		}
		in = append(in, chain)
	}
	in = append(in, nil) // an empty chain is done at once
	if err := fake.SendChains(ctx, in); err != nil {
		t.Fatalf("SendChains: %v", err)
	}
	for !s.idle() {
		time.Sleep(time.Millisecond)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if len(eng.seen) != chains {
		t.Fatalf("%d requests reached the engine, want %d", len(eng.seen), chains)
	}
	want := []flow.EventKind{flow.EvApprove, flow.EvReplan, flow.EvCancel}
	for id, got := range eng.seen {
		if !slices.Equal(got, want) {
			t.Errorf("%s handled %v, want %v in order", id, got, want)
		}
	}
	var total int
	for _, c := range fake.Conns() {
		total += c.Acks
		if c.Acks != c.Envelopes {
			t.Errorf("connection %d: %d envelopes, %d acks", c.ID, c.Envelopes, c.Acks)
		}
	}
	if total != 3*chains || acks.Load() != 3*chains {
		t.Errorf("%d acks read, OnAck called %d times; want %d", total, acks.Load(), 3*chains)
	}
}

// TestChainsSendOnce: prepared chains go out once; sending them again is
// an error, not a second round of envelopes whose acks nobody waits for.
func TestChainsSendOnce(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s, _ := runBot(t, fake, 1)
	click := fake.ClickEnvelope(slackfake.Click{User: "U2", Channel: "C1", MessageTS: "1.1", ActionID: "approve:0", Value: "req-1"})
	prepared, err := fake.PrepareChains([][]slackfake.Envelope{{click}})
	if err != nil {
		t.Fatal(err)
	}
	if err := prepared.Send(t.Context()); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	if err := prepared.Send(t.Context()); err == nil {
		t.Fatal("second Send of the same chains succeeded, want an error")
	}
	for !s.idle() {
		time.Sleep(time.Millisecond)
	}
	if n := len(fake.Conns()); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	if c := fake.Conns()[0]; c.Envelopes != 1 || c.Acks != 1 {
		t.Fatalf("%d envelopes, %d acks; want 1 and 1", c.Envelopes, c.Acks)
	}
}
