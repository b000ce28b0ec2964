package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap"
)

// Engine is what the Slack surface needs of the flow engine (*flow.Engine
// implements it) to take in what people do. Drawing what the engine shows
// needs none of it (see Chat).
type Engine interface {
	Open(ctx context.Context, ev flow.Event) (*flow.Request, error)
	Handle(ctx context.Context, id string, ev flow.Event) (*flow.Request, error)
	Get(ctx context.Context, id string) (*flow.Request, error)
	Find(ctx context.Context, ref string) (*flow.Request, error)
	List(ctx context.Context, f flow.Filter) ([]*flow.Request, error)
	Catalog(ctx context.Context, project string) (*registry.Catalog, error)
	Policy() flow.Policy
	Outlooks(ctx context.Context, rs []*flow.Request, viewer *flow.Actor) ([]flow.Outlook, error)
}

// Options configures the Slack surface. BotToken and AppToken are
// required; everything else has a default.
type Options struct {
	BotToken string // xoxb-…
	AppToken string // xapp-… with connections:write
	// APIURL is the Web API base URL with a trailing "/" (SLACK_API_URL);
	// default https://slack.com/api/.
	APIURL string
	// Engine takes in what people do; Run needs it. The engine is built
	// first, with the Chat as its output port (see NewChat).
	Engine Engine
	// Chat is the output port (NewChat, from the same options) whose Web
	// API client, pacing and used triggers the surface shares; nil: NewSlack
	// builds one.
	Chat   *Chat
	Logger *zap.Logger
	// Workers is how many events are processed at once (default 16).
	Workers int
	// QueueLimit bounds the events waiting for a worker (default 10,000).
	QueueLimit int
	// NotifyChannel is the fallback notifications channel when the policy
	// names none.
	NotifyChannel string
	HTTPClient    *http.Client
	Dialer        *websocket.Dialer
	// PingInterval is the socket client's ping interval (default 30 s).
	PingInterval time.Duration
	// Connections is how many Socket Mode connections the bot holds
	// (default 2, at most 10: Slack's limit per app). Slack sends each
	// envelope to one of them, so while one is refreshed (a "disconnect"
	// frame, every few hours) or reconnects after a failure the others
	// still take envelopes; and slack-go parses each connection's frames
	// on one goroutine, so two parse in parallel.
	Connections int
	// DrainTimeout bounds how long Run waits for queued work on shutdown
	// (default 10 s).
	DrainTimeout time.Duration
	// PostInterval paces posts per channel (default 1 s; negative: off).
	PostInterval time.Duration
	// GroupTTL is how long user-group memberships are cached (default and
	// at most 1 min; a refusal reads them again once).
	GroupTTL time.Duration
	// CatalogTTL is how long module catalogues are cached for modal
	// validation in the ack path (default 1 min).
	CatalogTTL time.Duration
	// OnAck, when set, is called after each envelope is acked, with the
	// envelope's type ("interactive", "slash_commands", "events_api") and
	// the time from when the bot took the envelope off the socket client's
	// event channel to when its ack was handed to the client's writer. It
	// runs on the ack path, from several goroutines at once (one per
	// connection; modal validation acks off them): keep it cheap and safe
	// for concurrent use, such as a Prometheus histogram's Observe. Acks
	// that fail (an oversized payload) are logged and not reported. Nil:
	// nothing is measured.
	OnAck func(envelopeType string, d time.Duration)
}

// Slack is the inbound Slack surface: it takes Socket Mode events (slash
// commands, clicks, form submissions, thread replies) to the engine, and
// answers people directly (ephemeral messages, modals, App Home). The
// engine's own output goes through Chat.
type Slack struct {
	opts Options
	log  *zap.Logger
	api  *slack.Client
	// conns are the Socket Mode connections, each its own socketmode
	// client with its own reconnect loop and event channel.
	conns []*socketConn

	eng  Engine
	chat *Chat

	queue    *queue
	seen     *dedupe
	triggers *dedupe // trigger IDs already used for views.open
	pace     *pacer
	groups   *groups
	catalogs *catalogCache

	botUserID string
	fast      chan struct{} // bounds goroutines on the ack path

	dispatching atomic.Int64 // envelopes between receipt and queueing

	// received holds when each unacked envelope was taken off the event
	// channel, for OnAck; used only when OnAck is set. via holds the
	// client each unacked envelope came from, which must carry its ack;
	// used only with more than one connection.
	recvMu   sync.Mutex
	received map[*socketmode.Request]time.Time
	via      map[*socketmode.Request]*socketmode.Client
}

// MaxConnections is Slack's limit of Socket Mode connections per app.
const MaxConnections = 10

// ErrNotConnected is wrapped by Ready's error when no Socket Mode
// connection is up.
var ErrNotConnected = errors.New("no Socket Mode connection")

// NewSlack builds the Slack surface without connecting.
func NewSlack(o Options) (*Slack, error) {
	switch {
	case o.BotToken == "":
		return nil, errNoBotToken
	case o.AppToken == "":
		return nil, errors.New("slack: app-level token (SLACK_APP_TOKEN, xapp-… with connections:write) is required: Basic Information page of the app")
	case !strings.HasPrefix(o.AppToken, "xapp-"):
		return nil, errors.New("slack: SLACK_APP_TOKEN must be an app-level token starting with xapp-")
	case o.Connections > MaxConnections:
		return nil, fmt.Errorf("slack: %d Socket Mode connections asked for; Slack allows an app at most %d", o.Connections, MaxConnections)
	}
	chat := o.Chat
	if chat == nil {
		var err error
		if chat, err = NewChat(o); err != nil {
			return nil, err
		}
	}
	o = o.withDefaults()
	api := chat.api
	smOpts := []socketmode.Option{socketmode.OptionPingInterval(o.PingInterval)}
	if o.Dialer != nil {
		smOpts = append(smOpts, socketmode.OptionDialer(o.Dialer))
	}
	s := &Slack{
		opts:     o,
		log:      o.Logger.Named("slack"),
		api:      api,
		eng:      o.Engine,
		chat:     chat,
		queue:    newQueue(o.QueueLimit),
		seen:     newDedupe(100000, time.Hour),
		triggers: chat.triggers,
		pace:     chat.pace,
		fast:     make(chan struct{}, max(o.Workers, 64)),
	}
	for n := range o.Connections {
		s.conns = append(s.conns, newSocketConn(n+1, socketmode.New(api, smOpts...), s.log))
	}
	if o.OnAck != nil {
		s.received = map[*socketmode.Request]time.Time{}
	}
	if o.Connections > 1 {
		s.via = map[*socketmode.Request]*socketmode.Client{}
	}
	s.groups = newGroups(s.api, o.GroupTTL)
	s.catalogs = newCatalogCache(o.CatalogTTL)
	return s, nil
}

// withDefaults fills in the defaults of every option left zero.
func (o Options) withDefaults() Options {
	if o.APIURL != "" && !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	o.Workers = orInt(o.Workers, 16)
	o.QueueLimit = orInt(o.QueueLimit, 10000)
	o.PingInterval = orDur(o.PingInterval, 30*time.Second)
	o.Connections = orInt(o.Connections, 2)
	o.DrainTimeout = orDur(o.DrainTimeout, 10*time.Second)
	o.PostInterval = orDur(o.PostInterval, time.Second)
	o.GroupTTL = orDur(o.GroupTTL, maxGroupTTL)
	o.CatalogTTL = orDur(o.CatalogTTL, time.Minute)
	return o
}

func (s *Slack) engine() Engine { return s.eng }

// Run connects over Socket Mode and processes events until ctx is done.
// It holds Options.Connections connections, each read by its own
// goroutine into the same dispatch: dedupe and the per-key queue are
// shared, so an envelope delivered on two connections is handled once,
// and the events of one thread run in the order they reached the queue.
// On shutdown it stops reading envelopes (unacked ones are redelivered by
// Slack, to another replica if there is one), lets queued work finish for
// up to DrainTimeout, then closes every connection and waits for its
// client to stop.
func (s *Slack) Run(ctx context.Context) error {
	if s.engine() == nil {
		return errors.New("slack: no engine: set Options.Engine")
	}
	res, err := s.api.AuthTestContext(ctx)
	if err != nil {
		s.setAll("auth.test failed")
		return fmt.Errorf("slack auth.test: %w", err)
	}
	s.chat.setTeamURL(res.URL)
	s.botUserID = res.UserID
	s.setAll("connecting")
	// Work outlives ctx by the drain deadline, so in-flight events finish.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	sock, closeSock := context.WithCancel(context.WithoutCancel(ctx))
	defer closeSock()
	s.queue.start(work, s.opts.Workers)

	// A client's RunContext returns before sock is closed only on a fatal
	// error (invalid_auth and the like), which every connection shares.
	sockErr := make(chan error, len(s.conns))
	var clients, readers sync.WaitGroup
	stop := make(chan struct{})
	for _, c := range s.conns {
		clients.Go(func() {
			if err := c.run(sock); sock.Err() == nil {
				sockErr <- err
			}
		})
		readers.Go(func() { s.read(work, c, stop) })
	}

	why := "shutting down"
	select {
	case <-ctx.Done():
	case err = <-sockErr:
		why = err.Error() // every connection shares a fatal error
		err = fmt.Errorf("slack socket mode: %w", err)
	}
	close(stop)
	readers.Wait()
	s.setAll(why)
	if left := s.queue.close(s.opts.DrainTimeout); left > 0 {
		s.log.Warn("shutdown: events left unprocessed", zap.Int("events", left))
	}
	cancelWork()
	closeSock()
	clients.Wait()
	if err == nil {
		s.setAll("stopped")
	}
	return err
}

// read takes connection c's events into dispatch until stop. One reader
// per connection, not more: slack-go puts a connection's envelopes on its
// channel one at a time from a single parsing goroutine, which costs ~10x
// what dispatch does (BenchmarkAckUnderLoad profile), so a second reader
// would not ack sooner; and it could queue two envelopes of one thread
// out of order.
func (s *Slack) read(ctx context.Context, c *socketConn, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case evt := <-c.sm.Events:
			c.observe(evt)
			s.receive(c.sm, evt.Request)
			s.dispatching.Add(1)
			s.dispatch(ctx, evt)
			s.dispatching.Add(-1)
		}
	}
}

// Ready reports whether the bot can take envelopes: nil while at least one
// Socket Mode connection is up (connected, and not lost since), otherwise
// an error wrapping ErrNotConnected that says why ("connecting",
// "invalid_auth", …), for a readiness probe.
func (s *Slack) Ready() error {
	var why []string
	for _, c := range s.conns {
		up, w := c.status()
		if up {
			return nil
		}
		if !slices.Contains(why, w) {
			why = append(why, w)
		}
	}
	return fmt.Errorf("%w: %s", ErrNotConnected, strings.Join(why, "; "))
}

func (s *Slack) setAll(why string) {
	for _, c := range s.conns {
		c.set(false, why)
	}
}

// receive notes, for an envelope about to be dispatched, when it arrived
// (for OnAck) and on which client (its ack must go back on it).
func (s *Slack) receive(sm *socketmode.Client, req *socketmode.Request) {
	if (s.received == nil && s.via == nil) || req == nil || req.EnvelopeID == "" {
		return
	}
	var now time.Time
	if s.received != nil {
		now = time.Now()
	}
	s.recvMu.Lock()
	if s.received != nil {
		s.received[req] = now
	}
	if s.via != nil {
		s.via[req] = sm
	}
	s.recvMu.Unlock()
}

// take forgets an envelope about to be acked, and returns the client to
// ack it on and when it arrived (found is false when OnAck is off). Every
// envelope with an ID is acked exactly once, whichever path it takes, so
// nothing stays in received or via.
func (s *Slack) take(req *socketmode.Request) (sm *socketmode.Client, at time.Time, found bool) {
	sm = s.conns[0].sm
	if s.received == nil && s.via == nil {
		return sm, at, false
	}
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if s.received != nil {
		at, found = s.received[req]
		delete(s.received, req)
	}
	if c, ok := s.via[req]; ok {
		sm = c
		delete(s.via, req)
	}
	return sm, at, found
}

// socketConn is one Socket Mode connection: a socketmode client, with its
// own reconnect loop and event channel, and whether it is up, for Ready.
type socketConn struct {
	sm  *socketmode.Client
	log *zap.Logger

	mu  sync.Mutex
	up  bool
	why string // why it is not up
}

func newSocketConn(n int, sm *socketmode.Client, log *zap.Logger) *socketConn {
	return &socketConn{sm: sm, log: log.With(zap.Int("connection", n)), why: "not started"}
}

// run runs the client until ctx is done or a fatal error, which it
// returns.
func (c *socketConn) run(ctx context.Context) error {
	err := c.sm.RunContext(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err == nil { // not documented: RunContext returns only on ctx or a fatal error
		err = errors.New("socket mode client stopped")
	}
	c.set(false, err.Error())
	return err
}

// observe follows the connection's state from the client's events. A
// "disconnect" frame is not surfaced by slack-go: the read error, then
// "connecting", that follow it are.
func (c *socketConn) observe(evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		c.log.Debug("socket", zap.String("event", string(evt.Type)))
		c.set(false, "connecting")
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		c.log.Debug("socket", zap.String("event", string(evt.Type)))
		c.set(true, "")
	case socketmode.EventTypeConnectionError:
		c.log.Warn("socket", zap.String("event", string(evt.Type)), zap.Any("data", evt.Data))
		why := "connecting"
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok && e.ErrorObj != nil {
			why = "connecting (last attempt: " + e.ErrorObj.Error() + ")"
		}
		c.set(false, why)
	case socketmode.EventTypeInvalidAuth:
		c.log.Warn("socket", zap.String("event", string(evt.Type)), zap.Any("data", evt.Data))
		c.set(false, "invalid_auth")
	case socketmode.EventTypeIncomingError:
		c.log.Warn("socket", zap.String("event", string(evt.Type)), zap.Any("data", evt.Data))
		// A malformed frame leaves the connection up; any other read
		// error means it is gone, and slack-go reconnects next.
		if e, ok := evt.Data.(*slack.IncomingEventError); ok && !malformed(e.ErrorObj) {
			c.set(false, "reconnecting")
		}
	case socketmode.EventTypeErrorBadMessage:
		// Never the frame itself: it holds what a person typed (a secret
		// put in a sensitive input by mistake) and Slack's verification
		// token.
		fields := []zap.Field{zap.String("event", string(evt.Type))}
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			fields = append(fields, zap.NamedError("cause", e.Cause), zap.Int("bytes", len(e.Message)))
		}
		c.log.Warn("socket", fields...)
	case socketmode.EventTypeErrorWriteFailed:
		fields := []zap.Field{zap.String("event", string(evt.Type))}
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok {
			fields = append(fields, zap.NamedError("cause", e.Cause))
		}
		c.log.Warn("socket", fields...)
	}
}

func malformed(err error) bool {
	_, syntax := errors.AsType[*json.SyntaxError](err)
	_, typ := errors.AsType[*json.UnmarshalTypeError](err)
	return syntax || typ
}

func (c *socketConn) set(up bool, why string) {
	c.mu.Lock()
	c.up, c.why = up, why
	c.mu.Unlock()
}

func (c *socketConn) status() (bool, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up, c.why
}

// submit queues work for key, telling the user when the bot is overloaded.
func (s *Slack) submit(key string, j job) {
	if !s.queue.submit(key, j) {
		s.log.Warn("queue full or closed: event dropped", zap.String("key", key))
	}
}

// goFast runs f on the ack path (views.open with a fresh trigger, modal
// validation) without blocking the event loop, bounded in number.
func (s *Slack) goFast(f func()) {
	s.fast <- struct{}{}
	go func() {
		defer func() { <-s.fast }()
		f()
	}()
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func orDur(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// idle reports whether no envelope is being dispatched, no job is queued
// or running and no ack-path goroutine is busy (tests wait on it).
func (s *Slack) idle() bool {
	s.queue.mu.Lock()
	n := s.queue.size
	s.queue.mu.Unlock()
	return s.dispatching.Load() == 0 && n == 0 && len(s.fast) == 0
}
