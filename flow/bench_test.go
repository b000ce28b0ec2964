package flow_test

import (
	"context"
	"fmt"
	"io/fs"
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
// in the same run, on the same disk and in the same folders, right after
// the engine (local.Floor): the same number of writers making the same number of
// transitions durable in the same way (the record rewritten and swapped in
// with a flush before and after the swap, the audit record linked and
// flushed while the next record is written, a new request every
// benchPerRequest transitions), with records of the sizes the engine wrote
// (each request's last, the largest), through the same group commit, and
// nothing else: no engine, encoding, locks or reads. It reports
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
	b.ReportAllocs()
	const parallelism = 16
	b.SetParallelism(parallelism)
	b.ResetTimer()
	cpu0, _ := processCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var id string
		n := 0
		for pb.Next() {
			k := fmt.Sprint("b", keys.Add(1))
			if n%benchPerRequest == 0 {
				r, err := eng.Open(ctx, flow.Event{Kind: flow.EvStart, Key: k, Actor: actor("U1"), Project: "demo", Module: "bucket", Environment: "dev"})
				if err != nil {
					b.Error(err)
					return
				}
				id, n = r.ID, n+1
				continue
			}
			ev := flow.Event{Kind: flow.EvSetInputs, Key: k, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-" + k}}
			if n%2 == 0 {
				ev = flow.Event{Kind: flow.EvEdit, Key: k, Actor: actor("U1")}
			}
			if _, err := eng.Handle(ctx, id, ev); err != nil {
				b.Error(err)
				return
			}
			n++
		}
	})
	if err := eng.Settle(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	cpu1, cpuOK := processCPU()
	b.StopTimer()
	stop()
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "transitions/s")

	floor := local.Floor{Writers: parallelism * runtime.GOMAXPROCS(0), PerRequest: benchPerRequest,
		RecordSize: meanSize(b, filepath.Join(dir, "requests", "requests")), AuditSize: meanSize(b, filepath.Join(dir, "audit")),
		At: cfg.Now()}
	cpu2, _ := processCPU()
	floorRate, err := floor.Measure(context.Background(), dir, b.N)
	if err != nil {
		b.Fatal(err)
	}
	cpu3, _ := processCPU()
	b.ReportMetric(floorRate, "floor-transitions/s")
	b.ReportMetric(rate/floorRate, "floor-ratio")
	if cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		b.ReportMetric(float64((cpu3-cpu2).Microseconds())/float64(b.N), "floor-cpu-µs/op")
	}
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
