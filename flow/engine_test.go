package flow_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

func TestEngineLifecycle(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toApplied()
	r := h.get(id)
	if diff := cmp.Diff(flowtest.RepoCounts{Branches: 1, PRs: 1, Commits: 1, Merges: 1}, ports.Repo.Counts()); diff != "" {
		t.Errorf("repo counts (-want +got):\n%s", diff)
	}
	if got := []int{ports.Runs.Count(id, flow.WorkflowPlan), ports.Runs.Count(id, flow.WorkflowApply), ports.Chat.Posts(id)}; !cmp.Equal(got, []int{1, 1, 1}) {
		t.Errorf("plan runs, apply runs, cards posted = %v, want [1 1 1]", got)
	}
	var states []string
	for _, tr := range r.History {
		if tr.From != tr.To {
			states = append(states, tr.To.String())
		}
	}
	want := []string{"collecting_inputs", "confirming", "opening_pr", "planning", "awaiting_approval", "approved", "applying", "applied"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	for _, rec := range ports.Audit.Records(id) {
		if v, ok := rec.Inputs["secret"]; ok && v != flow.Redacted {
			t.Errorf("audit %d shows secret %q", rec.Seq, v)
		}
	}
	if r.Thread.TS == "" {
		t.Error("thread TS not recorded")
	}
}
