package bot

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/cputime"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap"
)

// slowEngine answers every event after delay, like an engine whose ports
// (store, GitHub) are slow.
type slowEngine struct {
	delay time.Duration
	mu    sync.Mutex
	seen  map[string][]flow.EventKind

	polOnce sync.Once
	pol     flow.Policy
}

func (e *slowEngine) wait(ctx context.Context) {
	t := time.NewTimer(e.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (e *slowEngine) Open(ctx context.Context, ev flow.Event) (*flow.Request, error) {
	e.wait(ctx)
	return &flow.Request{ID: "new"}, nil
}

func (e *slowEngine) Handle(ctx context.Context, id string, ev flow.Event) (*flow.Request, error) {
	e.wait(ctx)
	e.mu.Lock()
	e.seen[id] = append(e.seen[id], ev.Kind)
	e.mu.Unlock()
	return &flow.Request{ID: id}, nil
}

func (e *slowEngine) Get(ctx context.Context, id string) (*flow.Request, error) {
	return nil, flow.ErrNotFound
}

func (e *slowEngine) Find(ctx context.Context, ref string) (*flow.Request, error) {
	return nil, flow.ErrNotFound
}

func (e *slowEngine) List(ctx context.Context, f flow.Filter) ([]*flow.Request, error) {
	return nil, nil
}

func (e *slowEngine) Catalog(ctx context.Context, project string) (*registry.Catalog, error) {
	return &registry.Catalog{}, nil
}

// Policy returns the same policy every time, as flow.Engine does (it holds
// the one it loaded), rather than building one per event.
func (e *slowEngine) Policy() flow.Policy {
	e.polOnce.Do(func() { e.pol = e2ePolicy() })
	return e.pol
}

func (e *slowEngine) Outlooks(_ context.Context, rs []*flow.Request, viewer *flow.Actor) ([]flow.Outlook, error) {
	out := make([]flow.Outlook, 0, len(rs))
	for _, r := range rs {
		out = append(out, flow.OutlookOf(r, e.Policy(), viewer))
	}
	return out, nil
}

func (e *slowEngine) Preview(ctx context.Context, r *flow.Request) (registry.File, error) {
	return registry.File{}, nil
}

// benchConnections overrides Options.Connections in BenchmarkAckUnderLoad
// (0: the default), to compare connection counts:
// go test ./bot -run x -bench AckUnderLoad -args -connections=1
var benchConnections = flag.Int("connections", 0, "Socket Mode connections in BenchmarkAckUnderLoad (0: the default)")

// benchGCPercent is the garbage collector target `bot serve` runs with
// (cmd/bot's serveGCPercent, which says why); cmd/bot's TestBenchGCPercent
// keeps the two equal.
const benchGCPercent = 400

// BenchmarkAckUnderLoad: 1,000 threads at once, each clicking three
// buttons in a row over the socket, while the engine takes 500 ms per
// event. Acks must not wait for the engine.
//
// Each thread clicks again as soon as its previous click is acked, as a
// real Slack delivers without waiting for other envelopes' acks; so about
// 1,000 envelopes are in flight the whole time, and by Little's law every
// ack waits behind the ~1,000 others. That is the harshest reading of
// "1,000 concurrent threads each sending events". The fake drives the
// threads with PrepareChains and Chains.Send (frames encoded before the
// clock and the heap baseline, no goroutine per thread), so that it takes
// as little of the two cores from the bot as it can; cpu-µs/envelope is
// the whole process (bot, fake and GC).
//
// Where the time goes: p99-bot-ms is the bot's own part of each ack, from
// slack-go handing over the envelope to the ack being queued (under 1 ms);
// the rest is frames waiting in the socket's receive buffer for slack-go's
// reader and its one parsing goroutine per connection, and the ack's way
// back. p99 is up to twice p50 because each iteration starts after the
// engine has drained (~6 s idle), and on the 2-vCPU CI machine the first
// 20-60 ms of a burst after idle run on one vCPU: the process's threads
// wait on a run queue as long as they run (/proc/self/task/*/schedstat)
// while the other vCPU is idle (/proc/stat). A process's first burst, with
// no idle before it, does not show this.
func BenchmarkAckUnderLoad(b *testing.B) {
	const (
		threads   = 1000
		perThread = 3
	)
	// Labels split a CPU profile between the fake Slack (its server and
	// the clicking threads) and the bot (everything Run starts):
	// go tool pprof -tags, or -tagfocus side=bot.
	fakeLabels, botLabels := pprof.Labels("side", "fake"), pprof.Labels("side", "bot")
	// The collector's target of `bot serve`, unless GOGC is set to measure
	// another.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(benchGCPercent))
	}
	var (
		botMu   sync.Mutex
		botLats []time.Duration
	)
	var fake *slackfake.Fake
	pprof.Do(context.Background(), fakeLabels, func(context.Context) { fake = slackfake.New() })
	defer fake.Close()
	eng := &slowEngine{delay: 500 * time.Millisecond, seen: map[string][]flow.EventKind{}}
	s, err := NewSlack(Options{BotToken: "xoxb-b", AppToken: "xapp-b", APIURL: fake.APIURL(), Engine: eng,
		Logger: zap.NewNop(), Workers: 256, PostInterval: -1, Connections: *benchConnections,
		// The bot's own part of each ack: from slack-go handing over the
		// envelope to the ack being queued on the socket.
		OnAck: func(_ string, d time.Duration) {
			botMu.Lock()
			botLats = append(botLats, d)
			botMu.Unlock()
		}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go pprof.Do(ctx, botLabels, func(ctx context.Context) { done <- s.Run(ctx) })
	defer func() { cancel(); <-done }()
	if err := fake.WaitConns(ctx, len(s.conns)); err != nil {
		b.Fatal(err)
	}

	var (
		mu     sync.Mutex
		lats   []time.Duration
		heap   float64
		cpu    time.Duration
		hasCPU = true
	)
	// Ack latency as Slack sees it: frame going onto the socket → ack read
	// off it, stamped by the fake where the I/O happens.
	fake.OnAck = func(_ string, d time.Duration) {
		mu.Lock()
		lats = append(lats, d)
		mu.Unlock()
	}
	b.ResetTimer()
	for i := range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		chains := make([][]slackfake.Envelope, threads)
		for th := range chains {
			// Each request is its own thread, so the fake spreads threads
			// over the connections and keeps each in order. ActionTS is
			// left to the fake (unique), so no click of a later iteration
			// is a duplicate of an earlier one.
			id, ts := fmt.Sprintf("req-%d-%d", i, th), fmt.Sprintf("1.%d", th)
			for _, action := range []string{"approve:0", "replan:1", "cancel:2"}[:perThread] {
				chains[th] = append(chains[th], fake.ClickEnvelope(slackfake.Click{User: "U2", Channel: "C1", MessageTS: ts, ActionID: action, Value: id}))
			}
		}
		// Encoded, and its garbage collected, before the first click goes
		// out: the fake's work is not the bot's.
		prepared, err := fake.PrepareChains(chains)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		cpu0, ok0 := cputime.Process()
		pprof.Do(ctx, fakeLabels, func(ctx context.Context) { err = prepared.Send(ctx) })
		if err != nil {
			b.Fatal(err)
		}
		prepared = nil
		// Everything is acked; most of it still waits for the engine.
		cpu1, ok1 := cputime.Process()
		cpu += cpu1 - cpu0
		hasCPU = hasCPU && ok0 && ok1
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		for !s.idle() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.StopTimer()
	pct := func(lats []time.Duration, p float64) float64 {
		slices.Sort(lats)
		return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) / 1000
	}
	envelopes := float64(b.N * threads * perThread)
	b.ReportMetric(pct(lats, 0.50), "p50-ack-ms")
	b.ReportMetric(pct(lats, 0.99), "p99-ack-ms")
	botMu.Lock()
	b.ReportMetric(pct(botLats, 0.99), "p99-bot-ms")
	botMu.Unlock()
	b.ReportMetric(heap/float64(b.N*threads), "bytes/thread")
	// Process CPU (bot, fake and GC; user and system) from the first
	// click to the last ack, per envelope. For the split between them,
	// profile with the pprof labels above.
	if hasCPU {
		b.ReportMetric(float64(cpu.Microseconds())/envelopes, "cpu-µs/envelope")
	}
	// Per-thread order held: every request saw its events in click order.
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if len(eng.seen) != b.N*threads {
		b.Fatalf("%d requests reached the engine, want %d", len(eng.seen), b.N*threads)
	}
	want := []flow.EventKind{flow.EvApprove, flow.EvReplan, flow.EvCancel}
	for id, got := range eng.seen {
		if !slices.Equal(got, want) {
			b.Fatalf("%s handled %v, want %v in order", id, got, want)
		}
	}
}
