package flow_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestStepHistoryKeepsTheLatest: a request edited back and forth keeps only
// the latest HistoryLimit transitions in its record, while every transition
// still owes its audit record (the full trail lives in the audit log).
func TestStepHistoryKeepsTheLatest(t *testing.T) {
	const steps = flow.HistoryLimit + 50
	r := fixture(flow.Confirming)
	var audited []int64
	for i := range steps {
		e := ev(flow.EvEdit, "U1")
		if i%2 == 1 {
			e = ev(flow.EvSetInputs, "U1", func(e *flow.Event) {
				e.Inputs, e.Missing = map[string]string{"name": fmt.Sprint("logs-", i), "secret": "s"}, []string{}
			})
		}
		e.Key = fmt.Sprint("k", i)
		next, effs, err := flow.Step(r, e, flowtest.Policy())
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, e.Kind, err)
		}
		for _, eff := range effs {
			if eff.Kind == flow.EffRecordAudit {
				audited = append(audited, eff.Audit.Seq)
			}
		}
		r = next
	}
	if len(audited) != steps {
		t.Errorf("%d audit records owed for %d transitions", len(audited), steps)
	}
	var got []int64
	for _, h := range r.History {
		got = append(got, h.Seq)
	}
	if diff := cmp.Diff(audited[steps-flow.HistoryLimit:], got); diff != "" {
		t.Errorf("history seqs, want the audit seqs of the latest %d transitions (-want +got):\n%s", flow.HistoryLimit, diff)
	}
}
