package s3_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/infra/s3"
	"github.com/tfpilot/tfpilot/internal/s3test"
)

// versionLog records every version of every request that a store write
// made durable, across all replicas.
type versionLog struct {
	mu        sync.Mutex
	versions  map[string][]int64
	conflicts int
}

// loggingStore is a replica's store handle that reports its successful
// writes to a shared versionLog.
type loggingStore struct {
	flow.Store
	log *versionLog
}

func (s loggingStore) Create(ctx context.Context, r *flow.Request) error {
	err := s.Store.Create(ctx, r)
	s.log.note(r, err)
	return err
}

func (s loggingStore) Update(ctx context.Context, r *flow.Request) error {
	err := s.Store.Update(ctx, r)
	s.log.note(r, err)
	return err
}

func (l *versionLog) note(r *flow.Request, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.versions[r.ID] = append(l.versions[r.ID], r.Version)
	case errors.Is(err, flow.ErrConflict), errors.Is(err, flow.ErrExists):
		l.conflicts++
	}
}

func (l *versionLog) of(id string) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(slices.Values(l.versions[id]))
}

// TestConcurrentReplicasOneHistory runs two engines (replicas) on one
// bucket, sharing the fake GitHub and chat, and delivers every person event
// of several requests to both at once, as when a retried Slack envelope
// reaches two replicas. Each request must end applied with exactly one
// valid history: every version written once, one transition per event, one
// branch, PR, apply run and merge, and no run dispatched beside another of
// the environment (the run queue, shared through the bucket).
func TestConcurrentReplicasOneHistory(t *testing.T) {
	_, bucket, client := s3test.Start(t)
	opt := s3.Options{Bucket: bucket, Prefix: "replicas/"}
	ports := flowtest.NewPorts()
	vlog := &versionLog{versions: map[string][]int64{}}
	audit := s3.NewAudit(client, opt)

	var engines [2]*flow.Engine
	for i := range engines {
		cfg := ports.Config(fmt.Sprintf("replica-%c", 'a'+i))
		cfg.Store = loggingStore{Store: s3.New(client, opt), log: vlog} // a handle of its own
		cfg.Audit = s3.NewAudit(client, opt)
		cfg.Logger = slog.New(slog.DiscardHandler)
		// A replica learns of effects owed under its lease but saved by the
		// other replica from its periodic scan, every LeaseTTL/2 of real
		// time. Leases are timed by the fake clock, which stands still, so
		// a short TTL only makes the scan frequent; no lease expires.
		cfg.LeaseTTL = 200 * time.Millisecond
		e, err := flow.New(cfg)
		if err != nil {
			t.Fatalf("flow.New: %v", err)
		}
		engines[i] = e
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("replica %d: Run: %v", i, err)
			}
		})
	}

	const requests = 6
	ids := make([]string, requests)
	var wg sync.WaitGroup
	for n := range requests {
		wg.Go(func() { ids[n] = driveRequest(t, engines, ports, n) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, e := range engines {
		settle(t, e)
	}

	st := s3.New(client, opt)
	for _, id := range ids {
		r, err := st.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get %s: %v", id, err)
		}
		checkHistory(t, r, vlog.of(id))
		recs, err := audit.Records(t.Context(), id)
		if err != nil {
			t.Fatalf("audit records of %s: %v", id, err)
		}
		checkAudit(t, id, recs)
		// One apply run each; a plan run for each time another request's
		// merge moved the base under its plan.
		if got := ports.Runs.Count(id, flow.WorkflowApply); got != 1 {
			t.Errorf("%s: %d apply runs, want 1", id, got)
		}
		if got := ports.Runs.Count(id, flow.WorkflowPlan); got < 1 || got > requests {
			t.Errorf("%s: %d plan runs, want 1 to %d", id, got, requests)
		}
		if got := ports.Chat.Posts(id); got != 1 {
			t.Errorf("%s: %d status cards posted, want 1", id, got)
		}
	}
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d runs were dispatched while another run of dev had not finished", n)
	}
	c := ports.Repo.Counts()
	if c.Branches != requests || c.PRs != requests || c.Merges != requests {
		t.Errorf("repository counts %+v, want %d branches, PRs and merges", c, requests)
	}
	t.Logf("%d conditional writes lost a race and were re-stepped", vlog.conflicts)
}

// driveRequest opens request n on one replica and delivers each later event
// to both replicas at once; it returns the request's ID. After the confirm
// it acts as a person watching the card would: approve, apply, and when
// another request's merge moved the base under its plan (TfPilot re-plans
// it, or a refusal says it is stale) approve or re-plan again, until the
// request is applied.
func driveRequest(t *testing.T, engines [2]*flow.Engine, ports *flowtest.Ports, n int) string {
	ctx := t.Context()
	u1, u3 := flow.Actor{ID: "U1", Name: "Ada"}, flow.Actor{ID: "U3", Name: "Grace"}
	r, err := engines[n%2].Open(ctx, flow.Event{Kind: flow.EvStart, Key: fmt.Sprintf("open-%d", n), Actor: u1,
		At: ports.Clock.Now(), Project: "demo", Module: "bucket", Environment: "dev", Thread: &flow.Thread{Channel: "C1"}})
	if err != nil {
		t.Errorf("request %d: Open: %v", n, err)
		return ""
	}
	steps := []struct {
		ev   flow.Event
		want flow.State // wait for it (and no owed effects) before the next step
	}{
		{flow.Event{Kind: flow.EvSetInputs, Actor: u1, Inputs: map[string]string{"name": fmt.Sprintf("logs-%d", n), "secret": flowtest.SecretARN}}, flow.Confirming},
		{flow.Event{Kind: flow.EvConfirm, Actor: u1}, flow.AwaitingApproval},
	}
	for _, st := range steps {
		ev := st.ev
		ev.Key, ev.At = fmt.Sprintf("%s-%d", ev.Kind, n), ports.Clock.Now()
		if !deliverBoth(t, engines, r.ID, ev) || !waitFor(t, engines[0], r.ID, st.want) {
			return r.ID
		}
	}
	for attempt := range 100 {
		cur, ok := waitQuiet(t, engines[0], r.ID)
		if !ok {
			return r.ID
		}
		ev := flow.Event{Actor: u1}
		switch cur.State {
		case flow.Applied:
			return r.ID
		case flow.AwaitingApproval:
			ev.Kind, ev.Actor = flow.EvApprove, u3
		case flow.Approved:
			ev.Kind = flow.EvApply
		case flow.Stale:
			ev.Kind = flow.EvReplan
		default:
			t.Errorf("%s: %s (problem %q), want it on its way to applied", r.ID, cur.State, cur.Problem)
			return r.ID
		}
		ev.Key, ev.At = fmt.Sprintf("%s-%d-%d", ev.Kind, n, attempt), ports.Clock.Now()
		delivered.add(r.ID, ev.Kind)
		if !deliverHeld(t, engines, r.ID, ev) {
			return r.ID
		}
	}
	t.Errorf("%s: not applied after 100 moves", r.ID)
	return r.ID
}

// waitQuiet waits until request id owes nothing, and returns it.
func waitQuiet(t *testing.T, e *flow.Engine, id string) (*flow.Request, bool) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		r, err := e.Get(ctx, id)
		if err == nil && len(r.Owed) == 0 {
			return r, true
		}
		select {
		case <-ctx.Done():
			t.Errorf("%s: still owes effects after a minute: last %v, err %v", id, r, err)
			return nil, false
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// deliverHeld is deliverBoth that, while another request of the
// environment is applied but not merged (the hold: approve and apply are
// refused with ErrHeld until its merge lands), waits for the hold to clear
// and delivers again, as a person would. It bounds the wait, asserting no
// timing.
func deliverHeld(t *testing.T, engines [2]*flow.Engine, id string, ev flow.Event) bool {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		held, ok := deliverBothHeld(t, engines, id, ev)
		if !held {
			return ok
		}
		select {
		case <-ctx.Done():
			t.Errorf("%s: %s still refused by the hold after a minute", id, ev.Kind)
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// deliverBoth hands ev to both replicas concurrently. One of them must
// take it; the other may take it too (a no-op: the key was seen) or refuse
// it with a user-facing error, never fail otherwise.
func deliverBoth(t *testing.T, engines [2]*flow.Engine, id string, ev flow.Event) bool {
	_, ok := deliverBothHeld(t, engines, id, ev)
	return ok
}

// deliverBothHeld is deliverBoth that reports, instead of failing, when
// both replicas refused ev because the environment is held.
func deliverBothHeld(t *testing.T, engines [2]*flow.Engine, id string, ev flow.Event) (held, ok bool) {
	var errs [2]error
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Go(func() { _, errs[i] = e.Handle(t.Context(), id, ev) })
	}
	wg.Wait()
	var ue *flow.UserError
	for i, err := range errs {
		if err != nil && !errors.As(err, &ue) {
			t.Errorf("%s: %s on replica %d: %v", id, ev.Kind, i, err)
			return false, false
		}
	}
	if errs[0] != nil && errs[1] != nil {
		if errors.Is(errs[0], flow.ErrHeld) && errors.Is(errs[1], flow.ErrHeld) {
			return true, false
		}
		if ev.Kind == flow.EvApprove || ev.Kind == flow.EvApply {
			// The request moved under the person (stale, or re-planned
			// by TfPilot after another merge): they look at the card
			// again.
			return false, true
		}
		t.Errorf("%s: both replicas refused %s: %v; %v", id, ev.Kind, errs[0], errs[1])
		return false, false
	}
	return false, true
}

// waitFor waits until request id is in state want and owes nothing. It
// bounds the wait (a stuck engine fails the test) but asserts no timing.
func waitFor(t *testing.T, e *flow.Engine, id string, want flow.State) bool {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		r, err := e.Get(ctx, id)
		if err == nil && r.State == want && len(r.Owed) == 0 {
			return true
		}
		if err == nil && r.State.Terminal() && r.State != want {
			t.Errorf("%s: ended %s (problem %q), want %s", id, r.State, r.Problem, want)
			return false
		}
		select {
		case <-ctx.Done():
			t.Errorf("%s: not %s with nothing owed: last state %v, err %v", id, want, r, err)
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func settle(t *testing.T, e *flow.Engine) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := e.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkHistory asserts one valid history: applied and merged, versions 1..N
// each written exactly once, history in Seq order with each transition
// starting where the previous one ended, and each person event stepped once.
func checkHistory(t *testing.T, r *flow.Request, versions []int64) {
	t.Helper()
	if r.State != flow.Applied || r.Change == nil || !r.Change.Merged || len(r.Owed) != 0 || r.Problem != "" {
		t.Errorf("%s: state %s merged=%v owed=%v problem=%q, want applied, merged, nothing owed",
			r.ID, r.State, r.Change != nil && r.Change.Merged, r.Owed, r.Problem)
	}
	want := make([]int64, r.Version)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(versions, want) {
		t.Errorf("%s: versions written %v, want each of 1..%d exactly once", r.ID, versions, r.Version)
	}
	person := map[flow.EventKind]int{}
	for i, h := range r.History {
		if i > 0 && (h.Seq <= r.History[i-1].Seq || h.From != r.History[i-1].To) {
			t.Errorf("%s: history[%d] = %+v does not follow %+v", r.ID, i, h, r.History[i-1])
		}
		person[h.Event]++
	}
	for _, k := range []flow.EventKind{flow.EvSetInputs, flow.EvConfirm} {
		if person[k] != 1 {
			t.Errorf("%s: %d %s transitions in history, want 1", r.ID, person[k], k)
		}
	}
	// Approve and apply may come again after a re-plan, each time under a
	// new key: each delivery (to both replicas) makes at most one move.
	for _, k := range []flow.EventKind{flow.EvApprove, flow.EvApply} {
		if n := delivered.of(r.ID, k); person[k] < 1 || person[k] > n {
			t.Errorf("%s: %d %s transitions in history for %d deliveries, want 1 to %d", r.ID, person[k], k, n, n)
		}
	}
}

// deliveries counts the approve and apply events delivered per request.
type deliveries struct {
	mu sync.Mutex
	n  map[string]map[flow.EventKind]int
}

var delivered = &deliveries{n: map[string]map[flow.EventKind]int{}}

func (d *deliveries) add(id string, k flow.EventKind) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n[id] == nil {
		d.n[id] = map[flow.EventKind]int{}
	}
	d.n[id][k]++
}

func (d *deliveries) of(id string, k flow.EventKind) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[id][k]
}

// checkAudit asserts one audit record per person event.
func checkAudit(t *testing.T, id string, recs []flow.AuditRecord) {
	t.Helper()
	count := map[string]int{}
	for _, rec := range recs {
		count[rec.Event]++
	}
	for _, k := range []flow.EventKind{flow.EvSetInputs, flow.EvConfirm} {
		if count[k.String()] != 1 {
			t.Errorf("%s: %d %q audit records, want 1 (all: %v)", id, count[k.String()], k, count)
		}
	}
	for _, k := range []flow.EventKind{flow.EvApprove, flow.EvApply} {
		if n := delivered.of(id, k); count[k.String()] < 1 || count[k.String()] > n {
			t.Errorf("%s: %d %q audit records for %d deliveries, want 1 to %d (all: %v)", id, count[k.String()], k, n, n, count)
		}
	}
}
