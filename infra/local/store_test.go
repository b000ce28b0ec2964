package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/storetest"
)

var (
	_ flow.Store = (*FileStore)(nil)
	_ flow.Audit = (*FileAudit)(nil)
)

func openStore(t testing.TB, dir string, opts ...Option) *FileStore {
	t.Helper()
	s, err := NewFileStore(dir, opts...)
	if err != nil {
		t.Fatalf("NewFileStore: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestFileStoreConformance(t *testing.T) {
	for _, d := range []Durability{GroupCommit, PerFileSync} {
		t.Run(d.String(), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) (flow.Store, flow.Store) {
				dir := t.TempDir()
				return openStore(t, dir, WithDurability(d)), openStore(t, dir, WithDurability(d))
			})
		})
	}
}

func TestFileAuditConformance(t *testing.T) {
	for _, d := range []Durability{GroupCommit, PerFileSync} {
		t.Run(d.String(), func(t *testing.T) {
			storetest.RunAudit(t, func(t *testing.T) storetest.AuditLog {
				a, err := NewFileAudit(t.TempDir(), WithDurability(d))
				if err != nil {
					t.Fatalf("NewFileAudit: %v", err)
				}
				t.Cleanup(func() { a.Close() })
				return a
			})
		})
	}
}

// TestFileStoreLayout pins the on-disk layout other tools (and people with a
// pager) rely on.
func TestFileStoreLayout(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	r := &flow.Request{ID: "0195a3c0-0000-7000-8000-00000000002a", Kind: flow.KindCreate, State: flow.Planning, Version: 3}
	if err := s.Create(t.Context(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "requests", r.ID+".json"))
	if err != nil {
		t.Fatalf("record file: %v", err)
	}
	if got, want := revision(data), r.Rev; got != want {
		t.Errorf("Rev = %q, want the hash of the file %q", want, got)
	}
	var stored map[string]any
	if err := json.Unmarshal(data, &stored); err != nil {
		t.Fatalf("record is not JSON: %v", err)
	}
	want := map[string]any{"id": r.ID, "kind": "create", "state": "planning", "version": 3.0, "seq": 0.0,
		"requester": map[string]any{"id": ""}, "thread": map[string]any{},
		"created_at": "0001-01-01T00:00:00Z", "updated_at": "0001-01-01T00:00:00Z"}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored JSON (-want +got):\n%s", diff)
	}
}

// TestFileStoreCrashLeftovers simulates a writer that crashed after writing
// its temporary file: the record is untouched, and the next open removes
// the leftover (but never a live store's temporary files).
func TestFileStoreCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	live := openStore(t, dir)
	r := &flow.Request{ID: "0195a3c0-0000-7000-8000-000000000001", Kind: flow.KindCreate, State: flow.Planning, Version: 1}
	if err := live.Create(t.Context(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	liveTemp, err := live.scratch.temp([]byte("in flight"))
	if err != nil {
		t.Fatal(err)
	}
	liveTemp.Close()

	crashed, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	torn, err := crashed.scratch.temp([]byte(`{"id": "0195a3c0-0000-7000-8000-000000000001", "state": "app`))
	if err != nil {
		t.Fatal(err)
	}
	torn.Close()
	crashed.scratch.lock.Close() // the process died: its lock is gone, its files are not

	reopened := openStore(t, dir)
	got, err := reopened.Get(t.Context(), r.ID)
	if err != nil {
		t.Fatalf("Get after crash: %v", err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("record after crash (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(torn.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("crashed writer's temporary file still there (stat: %v)", err)
	}
	if _, err := os.Stat(liveTemp.Name()); err != nil {
		t.Errorf("live store's temporary file was removed: %v", err)
	}
	list, err := reopened.List(t.Context(), flow.Filter{})
	if err != nil || len(list) != 1 {
		t.Errorf("List after crash = %d requests, %v; want 1", len(list), err)
	}
}

// TestFileStoreIgnoresStrayFiles checks that List skips what is not a record.
func TestFileStoreIgnoresStrayFiles(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for _, name := range []string{"README", ".hidden.json", "NOT-AN-ID.json", "x.json.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, "requests", name), []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.List(t.Context(), flow.Filter{})
	if err != nil || len(got) != 0 {
		t.Errorf("List = %d requests, %v; want none", len(got), err)
	}
}

func BenchmarkFileStoreUpdate(b *testing.B) {
	for _, d := range []Durability{GroupCommit, PerFileSync} {
		b.Run(d.String(), func(b *testing.B) { benchmarkUpdate(b, d) })
	}
}

// benchmarkUpdate measures persisted transitions: one op is one conditional
// request Update plus one audit record, as an engine transition writes,
// from many goroutines on distinct requests (b.SetParallelism(16)).
func benchmarkUpdate(b *testing.B, d Durability) {
	dir := b.TempDir()
	s := openStore(b, dir, WithDurability(d))
	a, err := NewFileAudit(dir, WithDurability(d))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	var next int64
	var mu = make(chan struct{}, 1)
	newID := func() int64 {
		mu <- struct{}{}
		defer func() { <-mu }()
		next++
		return next
	}
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		n := newID()
		at := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
		r := &flow.Request{ID: fmt.Sprintf("0195a3c0-0000-7000-8000-%012x", n), Kind: flow.KindCreate,
			State: flow.Planning, Version: 1, Requester: flow.Actor{ID: "U1"}, CreatedAt: at,
			Inputs: map[string]string{"name": "logs", "versioning": "true"}}
		if err := s.Create(b.Context(), r); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			r.Version++
			r.Seq++
			r.History = append(r.History[:min(len(r.History), 20)], flow.Transition{Seq: r.Seq, Event: flow.EvEffectDone, From: flow.Planning, To: flow.Planning})
			if err := s.Update(b.Context(), r); err != nil {
				b.Error(err)
				return
			}
			rec := flow.AuditRecord{RequestID: r.ID, Seq: r.Seq, At: at, Event: "effect_done", From: flow.Planning, To: flow.Planning}
			if err := a.Record(b.Context(), rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
}
