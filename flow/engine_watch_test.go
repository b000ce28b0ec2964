package flow_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// statusCounter counts the Status calls of the runs port.
type statusCounter struct {
	*flowtest.Runs
	n atomic.Int64
}

func (r *statusCounter) Status(ctx context.Context, project string, run flow.Run) (flow.Run, error) {
	r.n.Add(1)
	return r.Runs.Status(ctx, project, run)
}

// TestWatchLooksAtRecordEvery20thPoll: while the engine follows a run it
// asks Runs.Status every PollInterval (cheap: the adapter answers from what
// it knows), but looks at the stored record only every 20th poll (every
// 10 s at the default 500ms), so polling often does not multiply store
// reads; it still looks (see TestEngineLeaseHolderRunsOtherReplicasEffects).
func TestWatchLooksAtRecordEvery20thPoll(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.SetOutcome(flow.WorkflowPlan, flow.RunInProgress, "")
	runs := &statusCounter{Runs: ports.Runs}
	h := newHarness(t, ports, "r1", func(c *flow.Config) {
		c.Runs, c.PollInterval, c.LeaseTTL = runs, time.Millisecond, time.Hour
	})
	r := h.open("dev")
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}})
	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	waitUntil(t, "only the plan run is followed", func() bool {
		got := h.get(r.ID)
		return got.PlanRun != nil && len(got.Owed) == 1 && got.Owed[0].Kind == flow.EffWatchRun
	})
	gets, polls := ports.Store.Gets(), runs.n.Load()
	waitUntil(t, "400 more polls", func() bool { return runs.n.Load()-polls >= 400 })
	gets, polls = ports.Store.Gets()-gets, runs.n.Load()-polls
	if gets == 0 || gets > int(polls)/10 {
		t.Errorf("%d store reads in %d polls; want about one per 20 polls", gets, polls)
	}
}
