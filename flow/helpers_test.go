package flow_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// harness is one engine running over fakes.
type harness struct {
	t     *testing.T
	ports *flowtest.Ports
	eng   *flow.Engine
	stop  func()
	keys  atomic.Int64
}

func newHarness(t *testing.T, ports *flowtest.Ports, owner string, opts ...func(*flow.Config)) *harness {
	t.Helper()
	cfg := ports.Config(owner)
	cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, o := range opts {
		o(&cfg)
	}
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	h := &harness{t: t, ports: ports, eng: eng}
	t.Cleanup(func() { checkVersions(t, ports.Store) }) // runs after h.stop (cleanups are LIFO)
	var stopped bool
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) key() string { return fmt.Sprintf("k%d", h.keys.Add(1)) }

func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.eng.Settle(ctx); err != nil {
		for _, id := range h.ports.Store.IDs() {
			r := h.get(id)
			h.t.Logf("%s: %s owed=%+v lease=%+v problem=%q", id, r.State, r.Owed, r.Lease, r.Problem)
		}
		h.t.Log(h.eng.DebugState())
		h.t.Fatal(err)
	}
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func actor(id string) flow.Actor { return flow.Actor{ID: id, Name: "user " + id} }

// open starts a bucket request in env for U1.
func (h *harness) open(env string) *flow.Request {
	h.t.Helper()
	r, err := h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStart, Key: h.key(), Actor: actor("U1"),
		Project: "demo", Module: "bucket", Environment: env, Thread: &flow.Thread{Channel: "C1"}})
	if err != nil {
		h.t.Fatalf("open: %v", err)
	}
	return r
}

func (h *harness) handle(id string, ev flow.Event) *flow.Request {
	h.t.Helper()
	if ev.Key == "" {
		ev.Key = h.key()
	}
	r, err := h.eng.Handle(context.Background(), id, ev)
	if err != nil {
		h.t.Fatalf("%s: %v", ev.Kind, err)
	}
	return r
}

func (h *harness) get(id string) *flow.Request {
	h.t.Helper()
	r, err := h.eng.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// toAwaiting drives a new dev request to AwaitingApproval.
func (h *harness) toAwaiting(env string) string {
	h.t.Helper()
	r := h.open(env)
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	if got := h.get(r.ID).State; got != flow.AwaitingApproval {
		h.t.Fatalf("state = %s, want awaiting_approval (problem %q)", got, h.get(r.ID).Problem)
	}
	return r.ID
}

// toApplied drives a new dev request to Applied with its PR merged.
func (h *harness) toApplied() string {
	h.t.Helper()
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	r := h.get(id)
	if r.State != flow.Applied || r.Change == nil || !r.Change.Merged || len(r.Owed) != 0 {
		h.t.Fatalf("state = %s merged=%v owed=%v problem=%q", r.State, r.Change != nil && r.Change.Merged, r.Owed, r.Problem)
	}
	return id
}

// checkVersions fails t unless every request in store was written with
// versions 1, 2, 3, ... in order: each write bumps Version exactly once.
func checkVersions(t *testing.T, store *flowtest.Store) {
	t.Helper()
	for _, id := range store.IDs() {
		var got, want []int64
		for i, w := range store.Writes(id) {
			got, want = append(got, w.Version), append(want, int64(i+1))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("versions written for %s (-want +got):\n%s", id, diff)
		}
	}
}
