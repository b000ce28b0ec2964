package slackfake

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Call is one Web API call the fake received.
type Call struct {
	Method string
	Token  string
	// Form holds form-encoded parameters; Body is the JSON body of
	// JSON-encoded methods (views.*).
	Form url.Values
	Body json.RawMessage
}

// Param returns a parameter by name from the form or the JSON body (as
// JSON text for non-string values).
func (c Call) Param(name string) string {
	if v := c.Form.Get(name); v != "" {
		return v
	}
	if len(c.Body) == 0 {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Body, &m) != nil {
		return ""
	}
	raw := m[name]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// Fault is a canned failure for the next call of a method.
type Fault struct {
	// RetryAfter, when set, answers HTTP 429 with this Retry-After (seconds).
	RetryAfter int
	// Error, when set, answers {"ok":false,"error":Error}.
	Error string
}

// Message is a message as it stands after posts and updates.
type Message struct {
	Channel, TS, ThreadTS string
	Text                  string
	Blocks                json.RawMessage
	User                  string // ephemeral: the one user who sees it
	// Metadata is the message metadata ({"event_type":…,"event_payload":…})
	// posted with chat.postMessage or set by chat.update; nil when none.
	Metadata json.RawMessage
}

// Fake is a fake Slack. Create it with New; Close it when done.
type Fake struct {
	srv *httptest.Server
	// PingEvery is how often the fake sends WebSocket pings (default 1s).
	PingEvery time.Duration
	// Groups maps user-group IDs to members for usergroups.users.list.
	Groups map[string][]string
	// OnAck, when set, is called with each envelope's ack latency, what
	// Slack's 3-second timer measures: from the moment the encoded frame is
	// queued for the socket (behind the frames queued before it, so a
	// client that reads slowly is charged for the wait) to the moment its
	// ack has been read off the socket (stamped by the reader, so the
	// sending goroutine's wake-up is not counted). Set it before sending.
	OnAck func(envelopeType string, latency time.Duration)
	// Spread picks the connection for each envelope when the client holds
	// several (default SpreadThread). Set it before sending.
	Spread Spread

	mu        sync.Mutex
	calls     []Call
	faults    map[string][]Fault
	messages  map[string]*Message // channel/ts
	order     []string
	ephemeral []Message
	views     map[string]json.RawMessage // view ID -> view
	homes     map[string]json.RawMessage // user -> home view
	lastView  string
	opens     int

	// Socket Mode connections (conn.go).
	live      []*conn              // open and taking envelopes, oldest first
	all       []*conn              // every connection accepted, oldest first
	connected chan struct{}        // closed at the first connection
	changed   chan struct{}        // closed and replaced when live changes
	waiters   map[string][]*waiter // envelope ID -> Sends waiting for its ack, oldest first
	acks      map[string]int       // chosen envelope ID -> ack frames read
	rr        int                  // round-robin cursor for envelopes without a thread
	threads   maphash.Seed

	seq    atomic.Int64
	lastTS atomic.Int64 // microseconds of the last ts handed out
}

// New starts a fake Slack on 127.0.0.1.
func New() *Fake {
	f := &Fake{
		PingEvery: time.Second,
		faults:    map[string][]Fault{},
		messages:  map[string]*Message{},
		views:     map[string]json.RawMessage{},
		homes:     map[string]json.RawMessage{},
		connected: make(chan struct{}),
		changed:   make(chan struct{}),
		waiters:   map[string][]*waiter{},
		acks:      map[string]int{},
		threads:   maphash.MakeSeed(),
	}
	// httptest's server on a listener of our own: see listen.
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	l, err := listen()
	if err != nil {
		panic("slackfake: " + err.Error()) // as httptest does when it cannot listen
	}
	_ = f.srv.Listener.Close()
	f.srv.Listener = l
	f.srv.Start()
	return f
}

// Close stops the server and closes every socket.
func (f *Fake) Close() {
	f.mu.Lock()
	all := f.all
	f.mu.Unlock()
	for _, c := range all {
		_ = c.ws.Close()
	}
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// APIURL is the Web API base URL, with the trailing slash slack-go needs.
func (f *Fake) APIURL() string { return f.srv.URL + "/" }

// Fail queues faults for the next calls of method (e.g. "chat.postMessage").
func (f *Fake) Fail(method string, faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], faults...)
}

// Calls returns the recorded calls of method ("" for all), in order.
func (f *Fake) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the channel's messages (posted or updated), oldest first.
func (f *Fake) Messages(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, k := range f.order {
		if m := f.messages[k]; m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Get returns one message by channel and ts.
func (f *Fake) Get(channel, ts string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.messages[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Ephemeral returns the ephemeral messages shown to user.
func (f *Fake) Ephemeral(user string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.ephemeral {
		if m.User == user {
			out = append(out, m)
		}
	}
	return out
}

// View returns the current content of a modal by view ID.
func (f *Fake) View(id string) (json.RawMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.views[id]
	return v, ok
}

// LastView returns the ID of the modal opened last.
func (f *Fake) LastView() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastView
}

// Home returns the App Home view published for user.
func (f *Fake) Home(user string) (json.RawMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.homes[user]
	return v, ok
}

// Opens counts apps.connections.open calls (one per (re)connect).
func (f *Fake) Opens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opens
}

func (f *Fake) next(prefix string) string {
	return prefix + strconv.FormatInt(f.seq.Add(1), 10)
}

// ts returns a message timestamp the way Slack makes them: the current
// time as seconds.microseconds, unique and increasing across the fake (so
// conversations.history's oldest/latest compare them with real times).
func (f *Fake) ts() string {
	for {
		last := f.lastTS.Load()
		n := max(time.Now().UnixMicro(), last+1)
		if f.lastTS.CompareAndSwap(last, n) {
			return fmt.Sprintf("%d.%06d", n/1e6, n%1e6)
		}
	}
}

// tsMicros parses a Slack timestamp ("1700000000.000100", or whole seconds)
// into microseconds.
func tsMicros(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 6 {
		return 0, false
	}
	var us int64
	if frac != "" {
		if us, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64); err != nil {
			return 0, false
		}
	}
	return s*1e6 + us, true
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/")
	if method == "ws" {
		f.serveSocket(w, r)
		return
	}
	call := Call{Method: method, Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodGet: // slack-go reads some methods (chat.getPermalink) with GET
		call.Form = r.URL.Query()
		if t := call.Form.Get("token"); t != "" && call.Token == "" {
			call.Token = t
		}
	case r.Method != http.MethodPost:
		http.Error(w, "GET or POST only", http.StatusMethodNotAllowed)
		return
	case ct == "application/json":
		call.Body = body
	default:
		call.Form, _ = url.ParseQuery(string(body))
		if t := call.Form.Get("token"); t != "" && call.Token == "" {
			call.Token = t
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	var fault *Fault
	if q := f.faults[method]; len(q) > 0 {
		fault = &q[0]
		f.faults[method] = q[1:]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case fault != nil && fault.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(fault.RetryAfter))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return
	case fault != nil:
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": fault.Error})
		return
	}
	_ = json.NewEncoder(w).Encode(f.answer(call))
}
