package flow_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/infra/local"
	"github.com/tfpilot/tfpilot/internal/cputime"
)

// benchPerRequest is how many transitions BenchmarkEngineStep makes on each
// request: the first opens it.
const benchPerRequest = 40

// BenchmarkEngineStep measures persisted transitions through the engine on
// the embedded file store and audit log (fsync on; the store's default
// group commit), many requests in parallel: 16 goroutines per CPU, each
// driving its own request (with group commit, throughput grows with the
// writers in flight, up to what the disk's flushes allow). One op is one
// transition: the request written with its owed effects, its audit record
// appended, its card shown and the effects acknowledged (the timer stops
// after Settle, so background effect work is inside ns/op).
//
// A transition is durable only once the disk has flushed it, so the disk
// sets a floor under its cost, and the floor differs from disk to disk far
// more than the engine's own cost does. The benchmark measures that floor
// in the same run, on the same disk and in the same folders (local.Floor):
// the same number of writers making the same number of transitions durable
// in the same way (the record rewritten and swapped in with a flush before
// and after the swap, the audit record linked and flushed while the next
// record is written, a new request every benchPerRequest transitions), with
// records of the sizes the engine writes (learnt from one request driven
// through the same transitions first), through the same group commit, and
// nothing else: no engine, encoding, locks or reads. Half of it runs just
// before the engine and half just after, so that a load that changes
// during the run (a shared machine) weighs on both alike. It reports
//
//   - transitions/s: the engine's rate;
//   - floor-transitions/s: the disk's rate for the same durable work;
//   - floor-ratio: transitions/s ÷ floor-transitions/s, the share of what
//     the disk allows that the engine reaches: comparable across machines,
//     where absolute rates are not;
//   - cpu-µs/op and floor-cpu-µs/op: the process's CPU time (user and
//     system) per transition in each, what the engine adds to the disk's
//     work (on a shared 2-core machine CPU, not the disk, is what the
//     engine runs out of first).
func BenchmarkEngineStep(b *testing.B) {
	dir := b.TempDir()
	store, err := local.NewFileStore(dir + "/requests")
	if err != nil {
		b.Fatal(err)
	}
	audit, err := local.NewFileAudit(dir) // records under dir/audit, as bot local keeps them
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close(); _ = audit.Close() })
	ports := flowtest.NewPorts()
	cfg := ports.Config("bench")
	cfg.Store, cfg.Audit, cfg.Workers = store, audit, 32
	eng, err := flow.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	defer stop()

	var keys atomic.Int64
	const parallelism = 16
	floor := local.Floor{Writers: parallelism * runtime.GOMAXPROCS(0), PerRequest: benchPerRequest, At: cfg.Now()}
	floor.RecordSize, floor.AuditSize = benchSizes(ctx, b, eng, dir, floor.At, &keys)
	floorBefore, floorCPUBefore := measureFloor(b, floor, dir, b.N/2)

	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	cpu0, _ := cputime.Process()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var id string
		for n := 0; pb.Next(); n++ {
			var err error
			if id, err = benchStep(ctx, eng, id, n, fmt.Sprint("b", keys.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := eng.Settle(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	cpu1, cpuOK := cputime.Process()
	b.StopTimer()
	stop()
	floorAfter, floorCPUAfter := measureFloor(b, floor, dir, b.N-b.N/2)

	rate := float64(b.N) / elapsed.Seconds()
	floorRate := float64(b.N) / (floorBefore + floorAfter).Seconds()
	b.ReportMetric(rate, "transitions/s")
	b.ReportMetric(floorRate, "floor-transitions/s")
	b.ReportMetric(rate/floorRate, "floor-ratio")
	if cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		b.ReportMetric(float64((floorCPUBefore+floorCPUAfter).Microseconds())/float64(b.N), "floor-cpu-µs/op")
	}
}

// benchStep makes transition n (from 0) of BenchmarkEngineStep's requests
// with idempotency key key: every benchPerRequest transitions it opens a
// new request, and in between it sets the inputs and edits them in turn.
// It returns the ID of the request it stepped.
func benchStep(ctx context.Context, eng *flow.Engine, id string, n int, key string) (string, error) {
	switch {
	case n%benchPerRequest == 0:
		r, err := eng.Open(ctx, flow.Event{Kind: flow.EvStart, Key: key, Actor: actor("U1"), Project: "demo", Module: "bucket", Environment: "dev"})
		if err != nil {
			return "", err
		}
		return r.ID, nil
	case n%2 == 0:
		_, err := eng.Handle(ctx, id, flow.Event{Kind: flow.EvEdit, Key: key, Actor: actor("U1")})
		return id, err
	}
	_, err := eng.Handle(ctx, id, flow.Event{Kind: flow.EvSetInputs, Key: key, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-" + key}})
	return id, err
}

// benchSizes drives one request through benchPerRequest transitions as
// BenchmarkEngineStep does and returns the mean size of its record as each
// transition wrote it and of its audit records (filed under the day of at).
func benchSizes(ctx context.Context, b *testing.B, eng *flow.Engine, dir string, at time.Time, keys *atomic.Int64) (record, audit int) {
	var id string
	var total int64
	for n := range benchPerRequest {
		var err error
		if id, err = benchStep(ctx, eng, id, n, fmt.Sprint("b", keys.Add(1))); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, "requests", "requests", id+".json"))
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
	}
	if err := eng.Settle(ctx); err != nil {
		b.Fatal(err)
	}
	return int(total / benchPerRequest), meanSize(b, filepath.Join(dir, "audit", filepath.FromSlash(local.AuditDir(flow.AuditRecord{RequestID: id, At: at}))))
}

// measureFloor makes n transitions durable with nothing else (f) and
// returns how long that took and the process's CPU time meanwhile.
func measureFloor(b *testing.B, f local.Floor, dir string, n int) (elapsed, cpu time.Duration) {
	if n == 0 {
		return 0, 0
	}
	cpu0, _ := cputime.Process()
	rate, err := f.Measure(context.Background(), dir, n)
	if err != nil {
		b.Fatal(err)
	}
	cpu1, _ := cputime.Process()
	return time.Duration(float64(n) / rate * float64(time.Second)), cpu1 - cpu0
}

// meanSize is the mean size of the .json files under dir.
func meanSize(b *testing.B, dir string) int {
	var total, n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total, n = total+fi.Size(), n+1
		return nil
	})
	if err != nil || n == 0 {
		b.Fatalf("sizes of the records under %s: %d files, %v", dir, n, err)
	}
	return int(total / n)
}
