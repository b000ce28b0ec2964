package bot

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
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

func (e *slowEngine) Policy() flow.Policy { return e2ePolicy() }

func (e *slowEngine) Preview(ctx context.Context, r *flow.Request) (registry.File, error) {
	return registry.File{}, nil
}

// BenchmarkAckUnderLoad: 1,000 threads at once, each clicking three
// buttons in a row over the socket, while the engine takes 500 ms per
// event. Acks must not wait for the engine.
func BenchmarkAckUnderLoad(b *testing.B) {
	const (
		threads   = 1000
		perThread = 3
	)
	fake := slackfake.New()
	defer fake.Close()
	eng := &slowEngine{delay: 500 * time.Millisecond, seen: map[string][]flow.EventKind{}}
	s, err := NewSlack(Options{BotToken: "xoxb-b", AppToken: "xapp-b", APIURL: fake.APIURL(), Engine: eng,
		Logger: zap.NewNop(), Workers: 256, PostInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := fake.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}

	var (
		mu   sync.Mutex
		lats []time.Duration
		heap float64
	)
	// Ack latency as Slack sees it: frame delivered → ack received. The
	// fake's own queueing of 1,000 simultaneous senders is not the bot's.
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
		var wg sync.WaitGroup
		for th := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("req-%d-%d", i, th)
				for k, action := range []string{"approve:0", "replan:1", "cancel:2"}[:perThread] {
					_, err := fake.Click(ctx, slackfake.Click{User: "U2", Channel: "C1", MessageTS: "1.0", ActionID: action, Value: id,
						ActionTS: fmt.Sprintf("%d.%d", th, k)})
					if err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		// Everything is acked; most of it still waits for the engine.
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		for !s.idle() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.StopTimer()
	slices.Sort(lats)
	pct := func(p float64) float64 {
		return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ack-ms")
	b.ReportMetric(pct(0.99), "p99-ack-ms")
	b.ReportMetric(heap/float64(b.N*threads), "bytes/thread")
	// Per-thread order held: every request saw its events in click order.
	eng.mu.Lock()
	defer eng.mu.Unlock()
	want := []flow.EventKind{flow.EvApprove, flow.EvReplan, flow.EvCancel}
	for id, got := range eng.seen {
		if !slices.Equal(got, want) {
			b.Fatalf("%s handled %v, want %v in order", id, got, want)
		}
	}
}
