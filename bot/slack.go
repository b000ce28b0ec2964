package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
// implements it).
type Engine interface {
	Open(ctx context.Context, ev flow.Event) (*flow.Request, error)
	Handle(ctx context.Context, id string, ev flow.Event) (*flow.Request, error)
	Get(ctx context.Context, id string) (*flow.Request, error)
	Find(ctx context.Context, ref string) (*flow.Request, error)
	List(ctx context.Context, f flow.Filter) ([]*flow.Request, error)
	Catalog(ctx context.Context, project string) (*registry.Catalog, error)
	Policy() flow.Policy
	Preview(ctx context.Context, r *flow.Request) (registry.File, error)
}

// Options configures the Slack surface. BotToken and AppToken are
// required; everything else has a default.
type Options struct {
	BotToken string // xoxb-…
	AppToken string // xapp-… with connections:write
	// APIURL is the Web API base URL with a trailing "/" (SLACK_API_URL);
	// default https://slack.com/api/.
	APIURL string
	// Engine may be nil here and set with SetEngine before Run (the engine
	// needs the *Slack as its Chat port, and the Slack needs the engine).
	Engine Engine
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
	// DrainTimeout bounds how long Run waits for queued work on shutdown
	// (default 10 s).
	DrainTimeout time.Duration
	// PostInterval paces posts per channel (default 1 s; negative: off).
	PostInterval time.Duration
	// GroupTTL is how long user-group memberships are cached (default 5 min).
	GroupTTL time.Duration
	// CatalogTTL is how long module catalogues are cached for modal
	// validation in the ack path (default 1 min).
	CatalogTTL time.Duration
	// OnAck, when set, is called after each envelope is acked, with the
	// envelope's type ("interactive", "slash_commands", "events_api") and
	// the time from when the bot took the envelope off the socket client's
	// event channel to when its ack was handed to the client's writer. It
	// runs on the ack path, sometimes from several goroutines at once
	// (modal validation acks off the event loop): keep it cheap and safe
	// for concurrent use, such as a Prometheus histogram's Observe. Acks
	// that fail (an oversized payload) are logged and not reported. Nil:
	// nothing is measured.
	OnAck func(envelopeType string, d time.Duration)
}

// Slack is the Slack surface and flow.Chat implementation.
type Slack struct {
	opts Options
	log  *zap.Logger
	api  *slack.Client
	sm   *socketmode.Client

	mu  sync.RWMutex
	eng Engine

	queue    *queue
	seen     *dedupe
	triggers *dedupe // trigger IDs already used for views.open
	pace     *pacer
	groups   *groups
	catalogs *catalogCache

	teamURL   string // from auth.test, for permalinks when chat.getPermalink fails
	botUserID string
	fast      chan struct{} // bounds goroutines on the ack path

	dispatching atomic.Int64 // envelopes between receipt and queueing

	// received holds when each unacked envelope was taken off the event
	// channel, for OnAck; used only when OnAck is set.
	recvMu   sync.Mutex
	received map[*socketmode.Request]time.Time
}

var _ flow.Chat = (*Slack)(nil)

// NewSlack builds the Slack surface without connecting.
func NewSlack(o Options) (*Slack, error) {
	switch {
	case o.BotToken == "":
		return nil, errors.New("slack: bot token (SLACK_BOT_TOKEN, xoxb-…) is required: OAuth & Permissions page of the app")
	case o.AppToken == "":
		return nil, errors.New("slack: app-level token (SLACK_APP_TOKEN, xapp-… with connections:write) is required: Basic Information page of the app")
	case !strings.HasPrefix(o.AppToken, "xapp-"):
		return nil, errors.New("slack: SLACK_APP_TOKEN must be an app-level token starting with xapp-")
	}
	if o.APIURL != "" && !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	o.Workers = orInt(o.Workers, 16)
	o.QueueLimit = orInt(o.QueueLimit, 10000)
	o.PingInterval = orDur(o.PingInterval, 30*time.Second)
	o.DrainTimeout = orDur(o.DrainTimeout, 10*time.Second)
	o.PostInterval = orDur(o.PostInterval, time.Second)
	o.GroupTTL = orDur(o.GroupTTL, 5*time.Minute)
	o.CatalogTTL = orDur(o.CatalogTTL, time.Minute)

	apiOpts := []slack.Option{slack.OptionAppLevelToken(o.AppToken)}
	if o.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(o.APIURL))
	}
	if o.HTTPClient != nil {
		apiOpts = append(apiOpts, slack.OptionHTTPClient(o.HTTPClient))
	}
	api := slack.New(o.BotToken, apiOpts...)
	smOpts := []socketmode.Option{socketmode.OptionPingInterval(o.PingInterval)}
	if o.Dialer != nil {
		smOpts = append(smOpts, socketmode.OptionDialer(o.Dialer))
	}
	s := &Slack{
		opts:     o,
		log:      o.Logger.Named("slack"),
		api:      api,
		sm:       socketmode.New(api, smOpts...),
		eng:      o.Engine,
		queue:    newQueue(o.QueueLimit),
		seen:     newDedupe(100000, time.Hour),
		triggers: newDedupe(10000, 10*time.Minute),
		pace:     newPacer(o.PostInterval),
		fast:     make(chan struct{}, max(o.Workers, 64)),
	}
	if o.OnAck != nil {
		s.received = map[*socketmode.Request]time.Time{}
	}
	s.groups = newGroups(s.api, o.GroupTTL)
	s.catalogs = newCatalogCache(o.CatalogTTL)
	return s, nil
}

// SetEngine sets the engine when it was not given to NewSlack. Call it
// before Run.
func (s *Slack) SetEngine(e Engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eng = e
}

func (s *Slack) engine() Engine {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.eng
}

// Run connects over Socket Mode and processes events until ctx is done.
// On shutdown it stops reading envelopes (unacked ones are redelivered by
// Slack, to another replica if there is one), lets queued work finish for
// up to DrainTimeout, then closes the socket.
func (s *Slack) Run(ctx context.Context) error {
	if s.engine() == nil {
		return errors.New("slack: no engine: call SetEngine before Run")
	}
	if res, err := s.api.AuthTestContext(ctx); err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	} else {
		s.teamURL, s.botUserID = res.URL, res.UserID
	}
	// Work outlives ctx by the drain deadline, so in-flight events finish.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	sock, closeSock := context.WithCancel(context.WithoutCancel(ctx))
	defer closeSock()
	s.queue.start(work, s.opts.Workers)

	sockErr := make(chan error, 1)
	go func() { sockErr <- s.sm.RunContext(sock) }()

	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-sockErr:
			if err != nil {
				err = fmt.Errorf("slack socket mode: %w", err)
			}
			break loop
		case evt := <-s.sm.Events:
			// One consumer, on purpose: envelopes reach this channel one at
			// a time from slack-go's single parsing goroutine, which costs
			// ~10x what dispatch does (BenchmarkAckUnderLoad profile), so a
			// second consumer would not ack sooner; and it could queue two
			// envelopes of one thread out of order.
			s.receive(evt.Request)
			s.dispatching.Add(1)
			s.dispatch(work, evt)
			s.dispatching.Add(-1)
		}
	}
	if left := s.queue.close(s.opts.DrainTimeout); left > 0 {
		s.log.Warn("shutdown: events left unprocessed", zap.Int("events", left))
	}
	cancelWork()
	closeSock()
	return err
}

// receive notes when an envelope arrived, for OnAck.
func (s *Slack) receive(req *socketmode.Request) {
	if s.received == nil || req == nil || req.EnvelopeID == "" {
		return
	}
	now := time.Now()
	s.recvMu.Lock()
	s.received[req] = now
	s.recvMu.Unlock()
}

// acked reports an envelope's ack to OnAck (when ok) and forgets the
// envelope. Every envelope with an ID is acked exactly once, whichever
// path it takes, so nothing stays in received.
func (s *Slack) acked(req *socketmode.Request, ok bool) {
	if s.received == nil {
		return
	}
	s.recvMu.Lock()
	at, found := s.received[req]
	delete(s.received, req)
	s.recvMu.Unlock()
	if ok && found {
		s.opts.OnAck(req.Type, time.Since(at))
	}
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
