package flow_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/infra/local"
	"github.com/tfpilot/tfpilot/registry"
)

func TestEngineInputErrorsUnchanged(t *testing.T) {
	h := newHarness(t, flowtest.NewPorts(), "a")
	r := h.open("dev")
	_, err := h.eng.Handle(context.Background(), r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "k", Actor: actor("U1"),
		Inputs: map[string]string{"name": "NO", "request_id": "x"}})
	var ie registry.InputErrors
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want registry.InputErrors", err)
	}
	var fields []string
	for _, e := range ie {
		fields = append(fields, e.Field)
	}
	if diff := cmp.Diff([]string{"name", "request_id"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got := h.get(r.ID); got.State != flow.CollectingInputs || got.Inputs != nil {
		t.Errorf("request changed: %s %v", got.State, got.Inputs)
	}
}

func TestEngineDenialIsAudited(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("prod")
	before := h.get(id)
	_, err := h.eng.Handle(context.Background(), id, flow.Event{Kind: flow.EvApprove, Key: "self", Actor: actor("U1")})
	if !errors.Is(err, flow.ErrDenied) {
		t.Fatalf("err = %v, want ErrDenied", err)
	}
	after := h.get(id)
	if after.State != before.State || len(after.History) != len(before.History) || len(after.Approvals) != 0 {
		t.Errorf("denial changed the request: %s", after.State)
	}
	var denied []flow.AuditRecord
	for _, rec := range ports.Audit.Records(id) {
		if rec.Denied {
			denied = append(denied, rec)
		}
	}
	if len(denied) != 1 || denied[0].Actor.ID != "U1" || denied[0].Event != "approve" || denied[0].Inputs["secret"] != flow.Redacted {
		t.Errorf("denial records = %+v", denied)
	}
}

func TestEngineChangeMovedBeforeApproval(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	ports.Repo.Push(h.get(id).Change.Branch)
	_, err := h.eng.Handle(context.Background(), id, flow.Event{Kind: flow.EvApprove, Key: "ap", Actor: actor("U3")})
	if !errors.Is(err, flow.ErrBadEvent) {
		t.Fatalf("err = %v, want refusal", err)
	}
	if got := h.get(id).State; got != flow.Stale {
		t.Fatalf("state = %s, want stale", got)
	}
	h.handle(id, flow.Event{Kind: flow.EvReplan, Actor: actor("U1")})
	h.settle()
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	r := h.get(id)
	if r.State != flow.Applied || ports.Runs.Count(id, flow.WorkflowPlan) != 2 || ports.Runs.Count(id, flow.WorkflowApply) != 1 {
		t.Errorf("state %s, plan runs %d, apply runs %d", r.State, ports.Runs.Count(id, flow.WorkflowPlan), ports.Runs.Count(id, flow.WorkflowApply))
	}
	if r.ApplyRun == nil || r.PlanRun.HeadSHA != ports.Repo.Head(r.Change.Branch) {
		t.Errorf("applied plan of %q, branch head %q", r.PlanRun.HeadSHA, ports.Repo.Head(r.Change.Branch))
	}
}

func TestEngineMergeFindsBaseMoved(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	gate := ports.Runs.Block("Dispatch:apply")
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	<-gate.Entered()
	ports.Repo.MoveBase() // someone merged while the apply ran
	gate.Release()
	h.settle()
	if got := h.get(id).State; got != flow.Stale {
		t.Fatalf("state = %s, want stale", got)
	}
}

func TestEngineEffectFailureAndRetry(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.Fail("Dispatch:plan", 3, flow.ErrTransient) // the whole budget
	var mu sync.Mutex
	retried, exhausted := map[flow.EffectKind]int{}, map[flow.EffectKind]int{}
	h := newHarness(t, ports, "a", func(c *flow.Config) {
		c.Observer = flow.Observer{
			EffectRetried:   func(k flow.EffectKind) { mu.Lock(); retried[k]++; mu.Unlock() },
			EffectExhausted: func(k flow.EffectKind) { mu.Lock(); exhausted[k]++; mu.Unlock() },
		}
	})
	r := h.open("dev")
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}})
	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	got := h.get(r.ID)
	if got.State != flow.Planning || got.FailedEffect == nil || got.FailedEffect.Kind != flow.EffDispatchPlan || got.Problem == "" {
		t.Fatalf("state %s failed %+v problem %q", got.State, got.FailedEffect, got.Problem)
	}
	mu.Lock()
	if retried[flow.EffDispatchPlan] != 2 || exhausted[flow.EffDispatchPlan] != 1 {
		t.Errorf("observer saw %d retries and %d exhausted dispatches, want 2 and 1", retried[flow.EffDispatchPlan], exhausted[flow.EffDispatchPlan])
	}
	mu.Unlock()
	h.handle(r.ID, flow.Event{Kind: flow.EvRetry, Actor: actor("U1")})
	h.settle()
	if got := h.get(r.ID); got.State != flow.AwaitingApproval || got.Problem != "" || ports.Runs.Count(r.ID, flow.WorkflowPlan) != 1 {
		t.Errorf("after retry: %s %q plan runs %d", got.State, got.Problem, ports.Runs.Count(r.ID, flow.WorkflowPlan))
	}
}

func TestEngineAuditFailuresNeverBlockNorLose(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Audit.Fail("Record", 20, flow.ErrTransient)
	h := newHarness(t, ports, "a")
	id := h.toApplied()
	r := h.get(id)
	if got := len(ports.Audit.Records(id)); got != len(r.History) {
		t.Errorf("%d audit records for %d history lines", got, len(r.History))
	}
}

func TestEngineLeaseOfLiveReplicaIsRespected(t *testing.T) {
	ports := flowtest.NewPorts()
	gate := ports.Repo.Block("OpenChange")
	h1 := newHarness(t, ports, "replica-1")
	r := h1.open("dev")
	h1.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}})
	h1.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	<-gate.Entered()
	h1.stop()
	ports.Repo.Clear("OpenChange")

	h2 := newHarness(t, ports, "replica-2")
	h2.settle() // replica-1's lease is live: replica-2 leaves the request alone
	if got := ports.Repo.Counts().PRs; got != 0 {
		t.Fatalf("%d PRs opened under another replica's live lease", got)
	}
	before := len(ports.Store.Writes(r.ID))
	ports.Clock.Advance(2 * time.Minute)
	h2.settle()
	if got := h2.get(r.ID); got.State != flow.AwaitingApproval || got.Lease != (flow.Lease{}) {
		t.Errorf("after expiry: %s lease %+v, want awaiting_approval with the lease released", got.State, got.Lease)
	}
	// Every write after the expiry was replica-2's, under its lease, until
	// the request owed nothing and the lease was released.
	var owners []string
	for _, w := range ports.Store.Writes(r.ID)[before:] {
		if len(owners) == 0 || owners[len(owners)-1] != w.LeaseOwner {
			owners = append(owners, w.LeaseOwner)
		}
	}
	if diff := cmp.Diff([]string{"replica-2", ""}, owners); diff != "" {
		t.Errorf("lease owners written after the expiry (-want +got):\n%s", diff)
	}
}

func TestEngineEditAfterPlanCommitsAgainAndReplans(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvEdit, Actor: actor("U1")})
	h.handle(id, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-2"}})
	h.handle(id, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	r := h.get(id)
	c := ports.Repo.Counts()
	if r.State != flow.AwaitingApproval || c.Branches != 1 || c.PRs != 1 || c.Commits != 2 || ports.Runs.Count(id, flow.WorkflowPlan) != 2 {
		t.Errorf("state %s counts %+v plan runs %d", r.State, c, ports.Runs.Count(id, flow.WorkflowPlan))
	}
}

func TestEngineDestroy(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	target := h.get(h.toApplied())
	d, err := h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStartDestroy, Key: "d1", Actor: actor("U1"), Target: target.Label})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStartDestroy, Key: "d2", Actor: actor("U2"), Target: target.ID})
	if !errors.Is(err, flow.ErrExists) {
		t.Errorf("second destroy: err = %v, want ErrExists", err)
	}
	h.settle()
	for !advance(t, h.eng, d.ID) {
		h.settle()
	}
	got := h.get(d.ID)
	if diff := cmp.Diff([]flow.FileChange{{Path: target.File, Delete: true}}, ports.Repo.Files(got.Change.Branch)); diff != "" {
		t.Errorf("destroy change (-want +got):\n%s", diff)
	}
	if got.Kind != flow.KindDestroy || got.Target != target.ID || h.get(target.ID).DestroyedBy != d.ID {
		t.Errorf("destroy %+v", got)
	}
	_, err = h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStartDestroy, Key: "d3", Actor: actor("U1"), Target: target.ID})
	if !errors.Is(err, flow.ErrExists) {
		t.Errorf("destroy after destroyed: err = %v, want ErrExists", err)
	}
}

func TestEngineFindByLabel(t *testing.T) {
	h := newHarness(t, flowtest.NewPorts(), "a")
	target := h.get(h.toApplied())
	d, err := h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStartDestroy, Key: "d1", Actor: actor("U1"), Target: target.ID})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	if d.Label != target.Label {
		t.Fatalf("destroy label %q, want the target's %q (it names the deleted file)", d.Label, target.Label)
	}
	tests := []struct {
		ref, want string
	}{
		{target.ID, target.ID},
		{target.Label, target.ID},
		{d.ID, d.ID},
		{registry.Label(d.ID), d.ID},
		{strings.ToUpper(registry.Label(d.ID)), d.ID},
	}
	for _, tt := range tests {
		got, err := h.eng.Find(context.Background(), tt.ref)
		if err != nil {
			t.Errorf("Find(%q): %v", tt.ref, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got.ID); diff != "" {
			t.Errorf("Find(%q) (-want +got):\n%s", tt.ref, diff)
		}
	}
	if _, err := h.eng.Find(context.Background(), "nope"); !errors.Is(err, flow.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

// TestEngineReplanFromStalePlansTheCurrentCombination: after the base or
// the branch moved, a re-plan first rebuilds the change on the current base
// (replacing a push to the branch) and only then plans, so the approval of
// the new plan is not refused as stale again.
func TestEngineReplanFromStalePlansTheCurrentCombination(t *testing.T) {
	tests := []struct {
		name string
		move func(r *flowtest.Repo, branch string)
	}{
		{"base moved", func(r *flowtest.Repo, _ string) { r.MoveBase() }},
		{"branch pushed", func(r *flowtest.Repo, branch string) { r.Push(branch) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			id := h.toAwaiting("dev")
			branch := h.get(id).Change.Branch
			tt.move(ports.Repo, branch)
			moved := ports.Repo.Head(branch)
			// Only the base moved: the approval of the plan the person saw
			// counts, then the request plans again by itself (a base moved
			// by hand-written Terraform carries no approval over). Its
			// branch was pushed to: the approval is refused, and it is
			// stale until someone re-plans.
			_, err := h.eng.Handle(context.Background(), id, flow.Event{Kind: flow.EvApprove, Key: "ap", Actor: actor("U3")})
			if refused := errors.Is(err, flow.ErrBadEvent); refused != (tt.name == "branch pushed") {
				t.Fatalf("approve after the move: err = %v", err)
			}
			h.settle()
			if st := h.get(id).State; (st == flow.Stale) != (tt.name == "branch pushed") {
				t.Fatalf("after the refused approve: %s", st)
			}
			if tt.name == "branch pushed" {
				h.handle(id, flow.Event{Kind: flow.EvReplan, Actor: actor("U1")})
				h.settle()
			}
			h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
			r := h.get(id)
			now, err := ports.Repo.ChangeStatus(context.Background(), r.Project, *r.Change)
			if err != nil {
				t.Fatal(err)
			}
			type view struct {
				State          flow.State
				Rebuilt        bool
				Base, PlanHead string
				Path           []string
			}
			from := flow.Stale // a pushed branch waits in stale for Re-plan
			if tt.name == "base moved" {
				from = flow.Approved // only the base moved: approved, then re-planned at once
			}
			want := view{State: flow.Approved, Rebuilt: true, Base: now.BaseSHA, PlanHead: now.HeadSHA,
				Path: []string{from.String() + ">opening_pr", "opening_pr>planning", "planning>awaiting_approval", "awaiting_approval>approved"}}
			got := view{State: r.State, Rebuilt: now.HeadSHA != moved, Base: r.Change.BaseSHA, PlanHead: r.PlanRun.HeadSHA}
			for _, tr := range r.History { // the state changes from the move on
				if tr.From == from && tr.To == flow.OpeningPR || len(got.Path) > 0 && tr.From != tr.To {
					got.Path = append(got.Path, tr.From.String()+">"+tr.To.String())
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after re-plan and approval (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEngineLogLinesNameTheRequest: a line about a request carries its ID,
// its thread and its requester, so one request can be followed in the logs.
func TestEngineLogLinesNameTheRequest(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.Fail("Dispatch:plan", 3, flow.ErrTransient)
	var mu sync.Mutex
	var buf strings.Builder
	h := newHarness(t, ports, "a", func(c *flow.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	})
	r := h.open("dev")
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}})
	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	got := h.get(r.ID)
	mu.Lock()
	defer mu.Unlock()
	var found bool
	for _, line := range strings.Split(buf.String(), "\n") {
		if !strings.Contains(line, `"msg":"effect failed"`) {
			continue
		}
		found = true
		for _, want := range []string{`"request_id":"` + r.ID + `"`, `"thread":"` + got.Thread.Channel + "/" + got.Thread.TS + `"`, `"user":"U1"`} {
			if !strings.Contains(line, want) {
				t.Errorf("log line lacks %s: %s", want, line)
			}
		}
	}
	if !found {
		t.Fatalf("no 'effect failed' line in:\n%s", buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEngineFindNonsense: text that cannot name a request gets a message
// for the person who typed it, whatever the store thinks of it as a key (the
// file store refuses keys that are not IDs).
func TestEngineFindNonsense(t *testing.T) {
	store, err := local.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ports := flowtest.NewPorts()
	cfg := ports.Config("a")
	cfg.Store = store
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"nosuch", "../etc/passwd", "", "0a1b 2c3d"} {
		_, err := eng.Find(context.Background(), ref)
		var ue *flow.UserError
		if !errors.As(err, &ue) || !errors.Is(err, flow.ErrNotFound) || !strings.Contains(ue.Msg, "there is no request") {
			t.Errorf("Find(%q) = %v, want a *UserError saying there is no such request", ref, err)
		}
	}
}
