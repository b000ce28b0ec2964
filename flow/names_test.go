package flow_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// TestNamesEncode checks that states, event kinds and effect kinds are
// stored by name, the zero value as "", and read back.
func TestNamesEncode(t *testing.T) {
	type names struct {
		State  flow.State      `json:"state"`
		Event  flow.EventKind  `json:"event"`
		Effect flow.EffectKind `json:"effect"`
	}
	tests := []struct {
		in   names
		want string
	}{
		{names{}, `{"state":"","event":"","effect":""}`},
		{names{flow.AwaitingApproval, flow.EvApprove, flow.EffDispatchApply}, `{"state":"awaiting_approval","event":"approve","effect":"dispatch_apply"}`},
	}
	for _, tt := range tests {
		data, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, string(data)); diff != "" {
			t.Errorf("encoded (-want +got):\n%s", diff)
		}
		var back names
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.in, back); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
	}
}

// TestEncodingAllocatesNothingPerTransition checks that encoding a request
// allocates nothing for each transition of its history: the names of the
// event and states are appended where they go (AppendText), not built first
// and copied. The stores encode the request on every transition; building
// the names was most of the allocations of encoding it.
func TestEncodingAllocatesNothingPerTransition(t *testing.T) {
	r := longLived()
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := json.Marshal(&r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs >= float64(len(r.History)) {
		t.Errorf("encoding a request with %d transitions makes %v allocations, want fewer than one per transition", len(r.History), allocs)
	}
}
