package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tfpilot/tfpilot/registry"
)

// Observer hooks are called by the engine for metrics. They must be cheap
// and safe for concurrent use.
type Observer struct {
	// EffectRetried is called each time a failed port call is tried again.
	EffectRetried func(kind EffectKind)
	// EffectExhausted is called when an effect runs out of retries and the
	// request waits for a person's Retry.
	EffectExhausted func(kind EffectKind)
}

// Backoff is the retry budget of a failing effect: Attempts tries, waiting a
// random duration in [0, min(Max, Base·2ⁿ)) between them (full jitter).
type Backoff struct {
	Attempts  int
	Base, Max time.Duration
}

// Config wires an Engine. Store, Audit, Repo, Runs, Chat, Catalogs and NewID
// are required; the rest have defaults.
type Config struct {
	Store    Store
	Audit    Audit
	Repo     Repo
	Runs     Runs
	Chat     Chat
	Catalogs Catalogs
	Policy   Policy

	Logger *slog.Logger // default: discard
	// Now is the engine's only reading of the clock (event times, leases);
	// default time.Now. Waits (AckDelay, retries, polling) are timers.
	Now func() time.Time
	// NewID returns a new request ID, a UUID v7 (cmd/bot passes uuid.NewV7).
	NewID func() string
	// Owner is this replica's identity for leases (default: NewID()).
	Owner    string
	LeaseTTL time.Duration // default 1m
	Retry    Backoff       // default {Attempts: 5, Base: 1s, Max: 1m}
	// Observer receives what metrics want to count; nil hooks are skipped.
	Observer     Observer
	PollInterval time.Duration // Runs.Status asked per followed run; default 500ms (cheap, see Runs)
	// ChangeScan is how often the engine asks each project's repository
	// for pull requests closed or merged outside TfPilot (one conditional
	// list per project with requests waiting for approval or apply);
	// default 1m.
	ChangeScan time.Duration
	Workers    int // port calls in flight at once; default 8
	// DrainTimeout bounds how long Run waits for in-flight port calls after
	// its context ends before cancelling them (default 10s). What is cut
	// short stays owed and is resumed by the next start.
	DrainTimeout time.Duration
	// AckDelay bounds how long the acknowledgements of light effects that
	// ran may wait in memory to be folded into the request's next write
	// before they are written on their own (default 20ms). Folding saves a
	// write per transition under load; an acknowledgement lost with the
	// process only means its effect runs again (see engine_ack.go).
	AckDelay time.Duration
}

// Engine loads a request, steps it, saves it with the effects it owes and
// runs those effects through the ports, feeding each result back as an
// event. It is safe for concurrent use; events for one request are
// serialised, different requests run in parallel.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	locks keyedMutex
	sem   chan struct{}

	// Each of these has its own lock.
	written   lastWritten // request → as last written here (engine_cache.go)
	acks      *parkedAcks // request → acknowledgements not yet written (engine_ack.go)
	backoffs  *backoffs   // light effect that failed → when to try it again (engine_light.go)
	turns     turns       // waiters in run queues (engine_queue.go)
	records   records     // pull request records last written (record.go)
	holdCache holdCache   // what holds each environment, for cards (engine_hold.go)
	scanning  atomic.Bool // a scanClosed is running

	mu        sync.Mutex
	started   bool
	stopping  bool
	pending   map[string]struct{}                      // requests to examine
	signal    chan struct{}                            // pending has news
	runners   map[string]*runner                       // request → its effect runner
	inflight  map[string]map[string]context.CancelFunc // request → heavy effect → cancel
	opened    map[string]string                        // Open's idempotency key → request ID
	openOrder []string
	wg        sync.WaitGroup
}

// maxConflicts bounds how often a lost race is retried by re-loading and
// re-stepping.
const maxConflicts = 16

// New checks cfg and returns an engine. Call Run to execute effects.
func New(cfg Config) (*Engine, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Store": cfg.Store != nil, "Audit": cfg.Audit != nil, "Repo": cfg.Repo != nil, "Runs": cfg.Runs != nil,
		"Chat": cfg.Chat != nil, "Catalogs": cfg.Catalogs != nil, "NewID": cfg.NewID != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("flow config: missing %v", missing)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		cfg.Owner = cfg.NewID()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = time.Minute
	}
	if cfg.Retry.Attempts <= 0 {
		cfg.Retry.Attempts = 5
	}
	if cfg.Retry.Base <= 0 {
		cfg.Retry.Base = time.Second
	}
	if cfg.Retry.Max < cfg.Retry.Base {
		cfg.Retry.Max = max(time.Minute, cfg.Retry.Base)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.ChangeScan <= 0 {
		cfg.ChangeScan = time.Minute
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.AckDelay <= 0 {
		cfg.AckDelay = 20 * time.Millisecond
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger.With("component", "flow", "owner", cfg.Owner),
		sem:     make(chan struct{}, cfg.Workers),
		pending: map[string]struct{}{}, signal: make(chan struct{}, 1),
		runners: map[string]*runner{}, inflight: map[string]map[string]context.CancelFunc{},
		opened: map[string]string{},
	}
	e.acks, e.backoffs = newParkedAcks(cfg.AckDelay, e.kick), newBackoffs(e.kick)
	return e, nil
}

// Policy returns the policy the engine authorises with.
func (e *Engine) Policy() Policy { return e.cfg.Policy }

// Get loads a request by ID.
func (e *Engine) Get(ctx context.Context, id string) (*Request, error) {
	r, err := e.cfg.Store.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get request %s: %w", id, err)
	}
	return r, nil
}

// List returns the requests matching f.
func (e *Engine) List(ctx context.Context, f Filter) ([]*Request, error) {
	rs, err := e.cfg.Store.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return rs, nil
}

// Find loads a request by full ID or by its own label (registry.Label of
// its ID, as shown in chat and file names), for every kind of request: a
// destroy request is found by its own label, never by its target's (which
// is its Label field, naming the file it deletes). An exact ID match wins
// over a label match, and either over the start of a label or ID
// (minRefPrefix characters or more) that only one request has. Unknown and
// ambiguous refs wrap ErrNotFound.
func (e *Engine) Find(ctx context.Context, ref string) (*Request, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if !plausibleRef(ref) {
		// Not an ID or a label at all: say so, rather than pass text a
		// person typed to the store as a key.
		return nil, noRequest(ref)
	}
	r, err := e.cfg.Store.Get(ctx, ref)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("find %q: %w", ref, err)
	}
	all, err := e.cfg.Store.List(ctx, Filter{})
	if err != nil {
		return nil, fmt.Errorf("find %q: %w", ref, err)
	}
	var byLabel *Request
	if label := registry.Label(ref); label != "" {
		for _, r := range all {
			if r.ID == ref {
				return r, nil
			}
			if byLabel == nil && registry.Label(r.ID) == label {
				byLabel = r
			}
		}
	}
	if byLabel != nil {
		return byLabel, nil
	}
	if len(ref) < minRefPrefix {
		return nil, noRequest(ref)
	}
	var found []string
	for _, r := range all {
		if strings.HasPrefix(r.ID, ref) || strings.HasPrefix(registry.Label(r.ID), ref) {
			found = append(found, registry.Label(r.ID))
			byLabel = r
		}
	}
	switch {
	case len(found) == 1:
		return byLabel, nil
	case len(found) > 1:
		if len(found) > 5 {
			found = append(found[:5], "…")
		}
		return nil, &UserError{Msg: fmt.Sprintf("%q is the start of more than one request (%s); type more of the label (/tfpilot list shows them)",
			ref, strings.Join(found, ", ")), Err: ErrNotFound}
	}
	return nil, noRequest(ref)
}

// minRefPrefix is the shortest start of a label or ID that Find resolves.
const minRefPrefix = 6

// noRequest is Find's answer to a ref that names no request.
func noRequest(ref string) error {
	return &UserError{Msg: fmt.Sprintf("there is no request %q; a request is named by its ID or its 12-character label, like 0a1b2c3d4e5f, or their first %d or more characters (/tfpilot list shows them)",
		ref, minRefPrefix), Err: ErrNotFound}
}

// Catalog returns the module catalogue of project. A project the policy
// does not name is a *UserError wrapping ErrNotFound that lists the
// projects there are: no catalogue is served under a name that is not one.
func (e *Engine) Catalog(ctx context.Context, project string) (*registry.Catalog, error) {
	if _, ok := e.cfg.Policy.Project(project); !ok {
		return nil, Userf(ErrNotFound, unknownProject(e.cfg.Policy, project))
	}
	c, err := e.cfg.Catalogs.Catalog(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("catalogue of %s: %w", project, err)
	}
	return c, nil
}

// module returns the catalogue module r (or ev) names.
func (e *Engine) module(ctx context.Context, project, name string) (*registry.Module, error) {
	c, err := e.Catalog(ctx, project)
	if err != nil {
		return nil, err
	}
	m, ok := c.Module(name)
	if !ok {
		return nil, Userf(ErrBadEvent, fmt.Sprintf("module %q is not in the catalogue of %s; /tfpilot modules lists them", name, project))
	}
	return m, nil
}

// Preview renders the file r's change will write, as committed: sensitive
// values in clear (View gives cards the file redacted). A destroy
// request's file is returned with no content.
func (e *Engine) Preview(ctx context.Context, r *Request) (registry.File, error) {
	if r.Kind == KindDestroy {
		return registry.File{Path: r.File, Label: r.Label}, nil
	}
	m, err := e.module(ctx, r.Project, r.Module)
	if err != nil {
		return registry.File{}, err
	}
	return render(m, r, false)
}

// keyedMutex serialises work per key.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu sync.Mutex
	n  int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	ent := k.m[key]
	if ent == nil {
		ent = &keyedEntry{}
		k.m[key] = ent
	}
	ent.n++
	k.mu.Unlock()
	ent.mu.Lock()
	return func() {
		ent.mu.Unlock()
		k.mu.Lock()
		ent.n--
		if ent.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// logFor is the logger for lines about request id: every line carries the
// request ID, its thread and its requester (one can follow a request through
// the logs; docs/ARCHITECTURE.md#invariants), as far as this engine has seen
// the request.
func (e *Engine) logFor(id string) *slog.Logger {
	thread, user := e.written.who(id)
	return e.log.With("request_id", id, "thread", thread, "user", user)
}

// plausibleRef reports whether ref could name a request: a UUID or a label,
// lowercase hex digits and hyphens only.
func plausibleRef(ref string) bool {
	if ref == "" || len(ref) > 36 {
		return false
	}
	for _, c := range ref {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && c != '-' {
			return false
		}
	}
	return true
}
