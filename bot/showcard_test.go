package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// cardRequestID reads the request ID from a message's card metadata, ""
// when it has none.
func cardRequestID(t *testing.T, m slackfake.Message) string {
	t.Helper()
	if len(m.Metadata) == 0 {
		return ""
	}
	var md struct {
		EventType    string `json:"event_type"`
		EventPayload struct {
			RequestID string `json:"request_id"`
		} `json:"event_payload"`
	}
	if err := json.Unmarshal(m.Metadata, &md); err != nil {
		t.Fatalf("metadata %s: %v", m.Metadata, err)
	}
	if md.EventType != cardEventType {
		return ""
	}
	return md.EventPayload.RequestID
}

// TestShowCardAfterCrashReusesCard: the engine crashed after the card was
// posted but before it saved the thread, so ShowCard runs again with an
// empty TS. It finds the first card by its metadata and updates it instead
// of posting a second one, and returns the same thread.
func TestShowCardAfterCrashReusesCard(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s := newTestChat(t, fake)
	ctx := context.Background()
	r := sample(flow.Planning)
	r.Thread = flow.Thread{Channel: "C9"}

	first, err := s.ShowCard(ctx, flow.View{Request: r})
	if err != nil {
		t.Fatal(err)
	}
	if first.TS == "" || first.URL == "" {
		t.Fatalf("first ShowCard returned %+v, want a ts and a URL", first)
	}
	msgs := fake.Messages("C9")
	if len(msgs) != 1 || cardRequestID(t, msgs[0]) != r.ID {
		t.Fatalf("after the first ShowCard: %d messages, metadata %s; want 1 tagged %q", len(msgs), msgs[0].Metadata, r.ID)
	}

	// The crash: r.Thread is still {Channel: "C9"}; the state moved on.
	r.State = flow.Applied
	second, err := s.ShowCard(ctx, flow.View{Request: r})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second ShowCard thread (-first +second):\n%s", diff)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage calls = %d, want 1", n)
	}
	if msgs := fake.Messages("C9"); len(msgs) != 1 {
		t.Errorf("messages in C9 = %d, want 1", len(msgs))
	}
	if m, _ := fake.Get("C9", first.TS); !strings.Contains(m.Text, "Applied") || cardRequestID(t, m) != r.ID {
		t.Errorf("card after the second ShowCard: text %q, metadata %s; want it updated to Applied, still tagged", m.Text, m.Metadata)
	}
	hist := fake.Calls("conversations.history")
	if len(hist) != 2 {
		t.Fatalf("conversations.history calls = %d, want 2 (one per post attempt)", len(hist))
	}
	h := hist[1]
	want := []string{"C9", slackTS(r.CreatedAt.Add(-cardLookupSkew)), "100", "1"}
	got := []string{h.Param("channel"), h.Param("oldest"), h.Param("limit"), h.Param("include_all_metadata")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conversations.history channel, oldest, limit, include_all_metadata (-want +got):\n%s", diff)
	}
}

// TestShowCardLookupFailurePosts: when conversations.history fails, the
// card is posted anyway (once).
func TestShowCardLookupFailurePosts(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s := newTestChat(t, fake)
	r := sample(flow.Planning)
	r.Thread = flow.Thread{Channel: "C9"}
	fake.Fail("conversations.history", slackfake.Fault{Error: "missing_scope"})
	th, err := s.ShowCard(context.Background(), flow.View{Request: r})
	if err != nil {
		t.Fatalf("ShowCard with a failing lookup: %v", err)
	}
	if th.TS == "" {
		t.Fatalf("ShowCard returned %+v, want a ts", th)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage calls = %d, want 1", n)
	}
	if msgs := fake.Messages("C9"); len(msgs) != 1 || msgs[0].TS != th.TS || cardRequestID(t, msgs[0]) != r.ID {
		t.Errorf("messages in C9 = %+v, want the one card, tagged %q", msgs, r.ID)
	}
}

// TestShowCardOtherRequestNotReused: a card for another request in the
// same channel (and untagged messages) are not mistaken for r's card.
func TestShowCardOtherRequestNotReused(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s := newTestChat(t, fake)
	ctx := context.Background()
	other := sample(flow.Planning)
	other.ID = "0190aaaa-0000-7000-8000-000000000001"
	other.Thread = flow.Thread{Channel: "C9"}
	otherTh, err := s.ShowCard(ctx, flow.View{Request: other})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reply(ctx, &flow.Request{ID: "x", Thread: flow.Thread{Channel: "C9"}}, "an untagged message"); err != nil {
		t.Fatal(err)
	}
	r := sample(flow.Planning)
	r.Thread = flow.Thread{Channel: "C9"}
	if r.ID == other.ID {
		t.Fatal("sample IDs collide")
	}
	th, err := s.ShowCard(ctx, flow.View{Request: r})
	if err != nil {
		t.Fatal(err)
	}
	if th.TS == "" || th.TS == otherTh.TS {
		t.Fatalf("ShowCard for %s returned ts %q, want a new card (the other request's is %q)", r.ID, th.TS, otherTh.TS)
	}
	if n, u := len(fake.Calls("chat.postMessage")), len(fake.Calls("chat.update")); n != 3 || u != 0 {
		t.Errorf("postMessage %d, update %d; want 3 (two cards, one reply) and 0", n, u)
	}
	if m, _ := fake.Get("C9", otherTh.TS); cardRequestID(t, m) != other.ID {
		t.Errorf("the other card's metadata = %s, want it still tagged %q", m.Metadata, other.ID)
	}
	if m, _ := fake.Get("C9", th.TS); cardRequestID(t, m) != r.ID {
		t.Errorf("the new card's metadata = %s, want %q", m.Metadata, r.ID)
	}
}

// TestShowCardFindsCardOnLaterPage: a card buried under more messages than
// one conversations.history page holds is still found, on the next page.
func TestShowCardFindsCardOnLaterPage(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	s := newTestChat(t, fake)
	ctx := context.Background()
	r := sample(flow.Planning)
	r.Thread = flow.Thread{Channel: "C9"}
	first, err := s.ShowCard(ctx, flow.View{Request: r})
	if err != nil {
		t.Fatal(err)
	}
	busy := &flow.Request{ID: "x", Thread: flow.Thread{Channel: "C9"}}
	for range cardLookupLimit + 20 {
		if err := s.Reply(ctx, busy, "chatter"); err != nil {
			t.Fatal(err)
		}
	}
	second, err := s.ShowCard(ctx, flow.View{Request: r})
	if err != nil {
		t.Fatal(err)
	}
	if second.TS != first.TS {
		t.Errorf("second ShowCard ts = %q, want the first card's %q", second.TS, first.TS)
	}
	hist := fake.Calls("conversations.history")
	if len(hist) != 3 || hist[2].Param("cursor") == "" {
		t.Errorf("conversations.history calls = %d (last cursor %q), want 3: one for the first post, two pages for the second",
			len(hist), hist[len(hist)-1].Param("cursor"))
	}
}
