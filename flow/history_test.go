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

// TestAcknowledgeEqualsStepping: the engine folds parked acknowledgements
// into a write with one in-place pass; it must give what stepping each
// result would.
func TestAcknowledgeEqualsStepping(t *testing.T) {
	r := fixture(flow.Planning)
	r.Thread.TS = ""
	r.Owed = []flow.Effect{{ID: "11-record_audit", Kind: flow.EffRecordAudit}, {ID: "12-show_card", Kind: flow.EffShowCard},
		{ID: "13-reply", Kind: flow.EffReply, Text: "hi"}, {ID: "14-dispatch_plan", Kind: flow.EffDispatchPlan}}
	th := &flow.Thread{Channel: "C1", TS: "9.9"}
	tests := []struct {
		name string
		evs  []flow.Event
	}{
		{"all light", []flow.Event{result(flow.EvEffectDone, "11-record_audit"),
			result(flow.EvThreadStarted, "12-show_card", func(e *flow.Event) { e.Thread = th }), result(flow.EvEffectDone, "13-reply")}},
		{"not owed and twice", []flow.Event{result(flow.EvEffectDone, "7-reply"), result(flow.EvEffectDone, "13-reply"),
			result(flow.EvEffectDone, "13-reply")}},
		{"heavy left to Step", []flow.Event{result(flow.EvEffectDone, "14-dispatch_plan")}},
		{"none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := r
			for _, ev := range tt.evs {
				if ev.EffectID == "14-dispatch_plan" {
					continue // a heavy effect's result is never parked
				}
				if next, _, err := flow.Step(want, ev, flowtest.Policy()); err == nil {
					want = next
				}
			}
			got := flow.CloneRequest(&r)
			changed := flow.Acknowledge(got, tt.evs)
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("(-stepped +acknowledged):\n%s", diff)
			}
			if changed != !cmp.Equal(r, *got) {
				t.Errorf("changed = %v", changed)
			}
		})
	}
}
