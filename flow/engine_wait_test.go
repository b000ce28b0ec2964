package flow

import (
	"testing"
	"time"
)

// TestBackoffsArePerRequest: effect IDs ("3-show_card") repeat across
// requests, so one request's failing card must not hold back another's; a
// wait ends on its timer, which wakes the request's runner.
func TestBackoffsArePerRequest(t *testing.T) {
	woke := make(chan string, 1)
	b := newBackoffs(func(id string) { woke <- id })
	b.set("a", "3-show_card", time.Hour)
	if d := b.wait("b", "3-show_card"); d != 0 {
		t.Errorf("request b's 3-show_card waits %s behind request a's, want 0", d)
	}
	if d := b.wait("a", "3-show_card"); d != time.Hour {
		t.Errorf("request a's 3-show_card waits %s, want 1h", d)
	}
	b.set("b", "4-reply", time.Millisecond)
	select {
	case id := <-woke:
		if id != "b" {
			t.Errorf("woke %q, want b", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait of b's 4-reply never ended")
	}
	if d := b.wait("b", "4-reply"); d != 0 {
		t.Errorf("b's 4-reply still waits %s after its timer", d)
	}
	b.clear("a", "3-show_card")
	if d := b.wait("a", "3-show_card"); d != 0 {
		t.Errorf("a's 3-show_card waits %s after clear, want 0", d)
	}
}

// TestParkedAcksFallDue: a batch is due AckDelay after its first
// acknowledgement, on a timer that wakes the runner; unparking all of it
// forgets it.
func TestParkedAcksFallDue(t *testing.T) {
	woke := make(chan string, 1)
	p := newParkedAcks(time.Millisecond, func(id string) { woke <- id })
	p.park("r", []Event{{EffectID: "1-reply"}})
	if _, ok := p.due("r"); !ok {
		t.Fatal("nothing parked right after parking")
	}
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("the batch never fell due")
	}
	if d, ok := p.due("r"); !ok || d != 0 {
		t.Errorf("due = %s, %v after the delay; want 0, true", d, ok)
	}
	p.park("r", []Event{{EffectID: "2-notify"}})
	p.unpark("r", []Event{{EffectID: "1-reply"}})
	if got := p.of("r"); len(got) != 1 || got[0].EffectID != "2-notify" {
		t.Errorf("parked after unparking 1-reply = %+v, want 2-notify", got)
	}
	p.unpark("r", []Event{{EffectID: "2-notify"}})
	if p.has("r") {
		t.Error("a batch unparked in full is still there")
	}
}
