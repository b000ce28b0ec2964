package flow_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/infra/local"
)

// BenchmarkEngineStep measures persisted transitions through the engine on
// the embedded file store and audit log (fsync on; the store's default
// group commit), many requests in parallel: 16 goroutines per CPU, each
// driving its own request (with group commit, throughput grows with the
// writers in flight, up to what the disk's flushes allow). One op is one
// transition: the request written with its owed effects, its audit record
// appended, its card shown and the effects acknowledged (the timer stops
// after Settle, so background effect work is inside ns/op).
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
	defer func() { cancel(); <-done }()

	var keys atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var id string
		n := 0
		for pb.Next() {
			k := fmt.Sprint("b", keys.Add(1))
			if n%40 == 0 {
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
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "transitions/s")
}
