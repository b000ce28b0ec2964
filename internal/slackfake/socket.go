package slackfake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	// slack-go sends Origin: https://api.slack.com.
	CheckOrigin: func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		return o == "" || o == "https://api.slack.com"
	},
}

func (f *Fake) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := f.accept(ws)
	defer f.end(c)
	go c.writeLoop() // nothing is queued before goLive: hello goes first
	f.mu.Lock()
	n := len(f.live) + 1
	f.mu.Unlock()
	hello := map[string]any{"type": "hello", "num_connections": n,
		"connection_info": map[string]any{"app_id": "A0FAKE"},
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 3600}}
	if err := c.write(hello); err != nil {
		_ = ws.Close()
		return
	}
	go f.ping(c, c.closed)
	f.goLive(c)

	// One buffer for every ack read: the acks are small and the reader is
	// one goroutine. RawMessage copies what it keeps.
	var buf bytes.Buffer
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			_ = ws.Close()
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			_ = ws.Close()
			return
		}
		at := time.Now()
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(buf.Bytes(), &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		f.ack(c, ack.EnvelopeID, ackFrame{payload: ack.Payload, at: at})
	}
}

func (f *Fake) ping(c *conn, done <-chan struct{}) {
	t := time.NewTicker(f.PingEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			c.mu.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// Envelope is one Socket Mode delivery.
type Envelope struct {
	ID           string // generated when empty
	Type         string // events_api, slash_commands, interactive
	Payload      any
	RetryAttempt int
	RetryReason  string
	// Thread is the conversation the envelope belongs to (channel/thread
	// ts, or a user for commands and the Home tab): under SpreadThread the
	// envelopes of one thread go to one connection. Empty: round-robin.
	Thread string
}

// envelopeFrame is the wire form of an envelope (a struct: encoding is
// cheaper than a map's, which matters when a benchmark sends thousands).
type envelopeFrame struct {
	ID              string `json:"envelope_id"`
	Type            string `json:"type"`
	Payload         any    `json:"payload"`
	AcceptsResponse bool   `json:"accepts_response_payload"`
	RetryAttempt    int    `json:"retry_attempt"`
	RetryReason     string `json:"retry_reason"`
}

// ErrNotConnected is returned when no client is connected.
var ErrNotConnected = errors.New("slackfake: no socket client connected")

// ErrConnClosed is returned by Send when the connection ends before the
// envelope is acked.
var ErrConnClosed = errors.New("slackfake: connection closed before the ack")

// Send delivers an envelope on a live connection (picked by Spread) and
// waits for its ack, read on any connection, returning the ack's payload
// (nil for an empty ack).
func (f *Fake) Send(ctx context.Context, e Envelope) (json.RawMessage, error) {
	return f.send(ctx, e, 0)
}

// SendOn delivers an envelope on connection id (see Conns) and waits for
// its ack, read on any connection. Sending one envelope ID on two
// connections is a duplicate delivery: each Send takes one ack.
func (f *Fake) SendOn(ctx context.Context, id int, e Envelope) (json.RawMessage, error) {
	if id < 1 {
		return nil, fmt.Errorf("slackfake: connection %d: IDs start at 1", id)
	}
	return f.send(ctx, e, id)
}

func (f *Fake) send(ctx context.Context, e Envelope, on int) (json.RawMessage, error) {
	fr, err := f.encode(e)
	if err != nil {
		return nil, err
	}
	w := fr.w
	w.ch = make(chan ackFrame, 1)
	f.wait(w)
	if err := f.deliver(fr, on); err != nil {
		f.forget(w)
		return nil, err
	}
	select {
	case a := <-w.ch:
		if a.err != nil {
			return nil, a.err
		}
		return f.acked(e.Type, a, w.sentAt()), nil
	case <-ctx.Done():
		if !f.forget(w) { // acked (or failed) just now
			if a := <-w.ch; a.err == nil {
				return f.acked(e.Type, a, w.sentAt()), nil
			}
		}
		return nil, ctx.Err()
	}
}

// encode makes e's frame, with its waiter (not yet waiting), giving e an
// ID if it has none. It runs on the caller's goroutine, so concurrent
// senders encode in parallel (a struct: cheaper to encode than a map, which
// matters when a benchmark sends thousands).
func (f *Fake) encode(e Envelope) (frame, error) {
	chosen := e.ID != ""
	if !chosen {
		e.ID = f.next("env-")
	}
	b, err := json.Marshal(envelopeFrame{ID: e.ID, Type: e.Type, Payload: e.Payload, AcceptsResponse: e.Type != "events_api",
		RetryAttempt: e.RetryAttempt, RetryReason: e.RetryReason})
	if err != nil {
		return frame{}, err
	}
	if chosen {
		f.mu.Lock()
		if _, counted := f.acks[e.ID]; !counted {
			f.acks[e.ID] = 0
		}
		f.mu.Unlock()
	}
	return frame{b: b, w: &waiter{id: e.ID}, thread: e.Thread}, nil
}

// wait registers w to take the next ack of its envelope ID.
func (f *Fake) wait(w *waiter) {
	f.mu.Lock()
	f.waiters[w.id] = append(f.waiters[w.id], w)
	f.mu.Unlock()
}

// SendChains sends len(chains) sequences of envelopes the way as many
// concurrent senders calling Send in a loop would: PrepareChains, then
// Chains.Send.
func (f *Fake) SendChains(ctx context.Context, chains [][]Envelope) error {
	c, err := f.PrepareChains(chains)
	if err != nil {
		return err
	}
	return c.Send(ctx)
}

// Chains are envelope chains encoded by PrepareChains, to be sent once.
type Chains struct {
	f     *Fake
	links [][]link
	sent  atomic.Bool
}

type link struct {
	fr  frame
	typ string
}

// PrepareChains encodes every envelope of chains, for Chains.Send. A load
// test encodes before it starts its clock (and before it measures the
// heap), so that neither the time nor the garbage of encoding is charged
// to the client under test.
func (f *Fake) PrepareChains(chains [][]Envelope) (*Chains, error) {
	if len(chains) > outQueue {
		return nil, fmt.Errorf("slackfake: at most %d chains at once, got %d", outQueue, len(chains))
	}
	links := make([][]link, 0, len(chains))
	for _, chain := range chains {
		ls := make([]link, 0, len(chain))
		for _, e := range chain {
			fr, err := f.encode(e)
			if err != nil {
				return nil, err
			}
			ls = append(ls, link{fr: fr, typ: e.Type})
		}
		if len(ls) > 0 {
			links = append(links, ls)
		}
	}
	return &Chains{f: f, links: links}, nil
}

// Send sends the chains: each chain's envelopes in order, each as soon as
// the one before it is acked. It returns once every envelope is acked, or
// with the first error. The next envelope of a chain is queued by the
// goroutine that read the previous one's ack, not by a goroutine parked per
// chain: in a load test with a thousand senders, their goroutines and
// wake-ups would otherwise take the machine from the client under test.
// Chains are sent once; a second Send fails.
func (c *Chains) Send(ctx context.Context) error {
	if c.sent.Swap(true) {
		return errors.New("slackfake: these chains were sent already")
	}
	f := c.f
	if len(c.links) == 0 {
		return nil
	}
	var (
		left  atomic.Int64
		mu    sync.Mutex
		first error
		all   = make(chan struct{})
	)
	left.Store(int64(len(c.links)))
	end := func(err error) {
		if err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
		if left.Add(-1) == 0 {
			close(all)
		}
	}
	var step func(ls []link)
	step = func(ls []link) {
		if len(ls) == 0 {
			end(nil)
			return
		}
		if err := ctx.Err(); err != nil {
			end(err)
			return
		}
		l := ls[0]
		l.fr.w.then = func(a ackFrame) {
			if a.err != nil {
				end(a.err)
				return
			}
			f.acked(l.typ, a, l.fr.w.sentAt())
			step(ls[1:])
		}
		f.wait(l.fr.w)
		if err := f.deliver(l.fr, 0); err != nil {
			f.forget(l.fr.w)
			end(err)
		}
	}
	for _, ls := range c.links {
		step(ls)
	}
	select {
	case <-all:
	case <-ctx.Done():
		// Chains stop at their next ack; their ends are not waited for.
		return ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	return first
}

func (f *Fake) acked(typ string, a ackFrame, sent time.Time) json.RawMessage {
	if f.OnAck != nil {
		f.OnAck(typ, a.at.Sub(sent))
	}
	if string(a.payload) == "null" {
		return nil
	}
	return a.payload
}

// SlashCommand runs /tfpilot text as user in channel and returns the ack.
func (f *Fake) SlashCommand(ctx context.Context, user, channel, text string) (json.RawMessage, error) {
	p := map[string]any{
		"token": "x", "team_id": "T0FAKE", "team_domain": "fake", "channel_id": channel, "channel_name": "general",
		"user_id": user, "user_name": userName(user), "command": "/tfpilot", "text": text,
		"trigger_id": f.next("trig-"), "response_url": f.srv.URL + "/response", "api_app_id": "A0FAKE",
	}
	return f.Send(ctx, Envelope{Type: "slash_commands", Payload: p, Thread: "user/" + user})
}

// Click is a button press on a message (or a view when ViewID is set).
type Click struct {
	User, Channel     string
	MessageTS         string // the message holding the button
	ThreadTS          string // set when that message is a thread reply
	ActionID, Value   string
	ActionTS          string // generated when empty; same value = double click
	ViewID            string
	EnvelopeID        string
	RetryAttempt      int
	TriggerID         string // generated when empty
	BlockID           string
	ContainerIsThread bool
}

// Click presses a button and returns the ack.
func (f *Fake) Click(ctx context.Context, c Click) (json.RawMessage, error) {
	return f.Send(ctx, f.ClickEnvelope(c))
}

// ClickEnvelope is the envelope Click would send, to send with SendOn.
func (f *Fake) ClickEnvelope(c Click) Envelope {
	if c.ActionTS == "" {
		c.ActionTS = f.ts()
	}
	if c.TriggerID == "" {
		c.TriggerID = f.next("trig-")
	}
	p := clickPayload{
		Type: "block_actions", TriggerID: c.TriggerID, APIAppID: "A0FAKE",
		User:      idName{ID: c.User, Username: userName(c.User), Name: userName(c.User), TeamID: "T0FAKE"},
		Team:      &idName{ID: "T0FAKE", Domain: "fake"},
		Channel:   &idName{ID: c.Channel, Name: "general"},
		Container: container{Type: "message", MessageTS: c.MessageTS, ChannelID: c.Channel, ThreadTS: c.ThreadTS},
		Message:   &message{Type: "message", TS: c.MessageTS, ThreadTS: c.ThreadTS},
		Actions: []action{{Type: "button", ActionID: c.ActionID, BlockID: c.BlockID, Value: c.Value, ActionTS: c.ActionTS,
			Text: text{Type: "plain_text", Text: "x"}}},
	}
	thread := c.Channel + "/" + cmp.Or(c.ThreadTS, c.MessageTS)
	if c.ViewID != "" {
		p.Container = container{Type: "view", ViewID: c.ViewID}
		p.Message, p.Channel = nil, nil
		thread = "view/" + c.ViewID
	}
	return Envelope{ID: c.EnvelopeID, Type: "interactive", Payload: p, RetryAttempt: c.RetryAttempt, Thread: thread}
}

// Message posts a channel message event (a thread reply when threadTS is
// set) and returns the ack.
func (f *Fake) Message(ctx context.Context, user, channel, threadTS, text string) (json.RawMessage, error) {
	ev := map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": f.ts(), "channel_type": "channel"}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return f.Event(ctx, ev, 0, "")
}

// HomeOpened sends app_home_opened for user's Home tab.
func (f *Fake) HomeOpened(ctx context.Context, user string) (json.RawMessage, error) {
	return f.Event(ctx, map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}, 0, "")
}

// Event delivers an Events API event with the given event ID (generated
// when empty) and retry attempt. Its thread is the event's channel and
// thread_ts (or ts), or its user when it has no channel.
func (f *Fake) Event(ctx context.Context, inner map[string]any, retry int, eventID string) (json.RawMessage, error) {
	if eventID == "" {
		eventID = f.next("Ev")
	}
	p := map[string]any{"token": "x", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(), "event": inner}
	return f.Send(ctx, Envelope{Type: "events_api", Payload: p, RetryAttempt: retry, Thread: eventThread(inner)})
}

func userName(id string) string { return "user-" + id }

// eventThread is the thread an Events API event belongs to.
func eventThread(inner map[string]any) string {
	str := func(k string) string { v, _ := inner[k].(string); return v }
	if inner["type"] == "app_home_opened" || str("channel") == "" {
		return "user/" + str("user")
	}
	return str("channel") + "/" + cmp.Or(str("thread_ts"), str("ts"))
}

// Wire types of a block_actions payload.
type (
	clickPayload struct {
		Type      string    `json:"type"`
		TriggerID string    `json:"trigger_id"`
		APIAppID  string    `json:"api_app_id"`
		User      idName    `json:"user"`
		Team      *idName   `json:"team,omitempty"`
		Channel   *idName   `json:"channel,omitempty"`
		Container container `json:"container"`
		Message   *message  `json:"message,omitempty"`
		Actions   []action  `json:"actions"`
	}
	idName struct {
		ID       string `json:"id"`
		Name     string `json:"name,omitempty"`
		Username string `json:"username,omitempty"`
		TeamID   string `json:"team_id,omitempty"`
		Domain   string `json:"domain,omitempty"`
	}
	container struct {
		Type      string `json:"type"`
		MessageTS string `json:"message_ts,omitempty"`
		ChannelID string `json:"channel_id,omitempty"`
		ThreadTS  string `json:"thread_ts,omitempty"`
		ViewID    string `json:"view_id,omitempty"`
	}
	message struct {
		Type     string `json:"type"`
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts,omitempty"`
		Text     string `json:"text"`
	}
	action struct {
		Type     string `json:"type"`
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Value    string `json:"value"`
		ActionTS string `json:"action_ts"`
		Text     text   `json:"text"`
	}
	text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
)
