package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// problemFields lists the fields of an *InputsNotSet's problems.
func problemFields(ns *flow.InputsNotSet) []string {
	var out []string
	for _, p := range ns.Problems {
		out = append(out, p.Field)
	}
	return out
}

// TestEngineOpenWithInputs checks inputs given with a start: any bad one
// refuses the start and nothing is created; good ones are set in the same
// write, with the start and the set_inputs in the history.
func TestEngineOpenWithInputs(t *testing.T) {
	start := func(key string, inputs map[string]string) flow.Event {
		return flow.Event{Kind: flow.EvStart, Key: key, Actor: actor("U1"), Project: "demo", Module: "bucket", Environment: "dev",
			Thread: &flow.Thread{Channel: "C1"}, Inputs: inputs}
	}
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	ctx := context.Background()
	for i, inputs := range []map[string]string{
		{"nosuch": "1"},
		{"name": "logs-1", "nosuch": "1"},
		{"name": "NOT_OK", "versioning": "true"},
	} {
		r, err := h.eng.Open(ctx, start("bad"+string(rune('0'+i)), inputs))
		var ns *flow.InputsNotSet
		if r != nil || !errors.As(err, &ns) || ns.Request != "" || len(ns.Set) != 0 || len(ns.Problems) == 0 {
			t.Errorf("open with %v = %v, %#v; want nothing created and the problems", inputs, r, err)
		}
	}
	if ids := ports.Store.IDs(); len(ids) != 0 {
		t.Fatalf("bad inputs created %d request(s)", len(ids))
	}

	r, err := h.eng.Open(ctx, start("good", map[string]string{"name": "logs-1", "versioning": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, tr := range r.History {
		path = append(path, tr.Event.String()+" -> "+tr.To.String())
	}
	if diff := cmp.Diff([]string{"start -> collecting_inputs", "set_inputs -> confirming"}, path); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"name": "logs-1", "versioning": "false"}, r.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if r.Version != 1 {
		t.Errorf("version %d; want the start and its inputs in the first write", r.Version)
	}
	partial, err := h.eng.Open(ctx, start("partial", map[string]string{"versioning": "false"}))
	if err != nil || partial.State != flow.CollectingInputs || partial.Inputs["versioning"] != "false" {
		t.Errorf("open missing name = %v, %v; want collecting inputs with versioning set", partial, err)
	}
	h.settle()
}

// TestEngineSetInputsKeepsTheGoodOnes checks that a line with good and bad
// inputs sets the good ones and reports the bad ones, naming both.
func TestEngineSetInputsKeepsTheGoodOnes(t *testing.T) {
	h := newHarness(t, flowtest.NewPorts(), "a")
	ctx := context.Background()
	r := h.open("dev")
	got, err := h.eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "line-1", Actor: actor("U1"),
		Inputs: map[string]string{"versioning": "false", "nosuch": "1", "secret": flowtest.SecretARN}})
	var ns *flow.InputsNotSet
	if !errors.As(err, &ns) {
		t.Fatalf("err = %v, want *flow.InputsNotSet", err)
	}
	if diff := cmp.Diff([]string{"secret", "versioning"}, ns.Set); diff != "" || ns.Request != r.ID {
		t.Errorf("set (-want +got):\n%s request %q", diff, ns.Request)
	}
	if diff := cmp.Diff([]string{"nosuch"}, problemFields(ns)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	want := map[string]string{"versioning": "false", "secret": flowtest.SecretARN}
	if got == nil || got.State != flow.CollectingInputs || !cmp.Equal(want, got.Inputs) || !cmp.Equal(want, h.get(r.ID).Inputs) {
		t.Fatalf("request after a line with a bad input: %v; want the good inputs set", got)
	}

	// The good one completes the request: it moves on, the bad one is told.
	got, err = h.eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "line-2", Actor: actor("U1"),
		Inputs: map[string]string{"name": "logs-1", "versioning": "maybe"}})
	if !errors.As(err, &ns) || got.State != flow.Confirming || got.Inputs["name"] != "logs-1" || got.Inputs["versioning"] != "false" {
		t.Errorf("second line: %v, state %s inputs %v", err, got.State, got.Inputs)
	}
	if diff := cmp.Diff([]string{"versioning"}, problemFields(ns)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	h.settle()
}
