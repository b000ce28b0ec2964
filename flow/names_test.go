package flow_test

import (
	"encoding/json"
	"runtime"
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

// appendProbe records whether encoding/json called its AppendText.
type appendProbe struct{ called *bool }

func (p appendProbe) AppendText(b []byte) ([]byte, error) {
	*p.called = true
	return append(b, 'x'), nil
}
func (p appendProbe) MarshalText() ([]byte, error) { return []byte("x"), nil }

// TestEncodingAllocatesNothingPerTransition checks that encoding a request
// allocates nothing for each transition of its history: the names of the
// event and states are appended where they go (AppendText), not built first
// and copied. The stores encode the request on every transition; building
// the names was most of the allocations of encoding it. Appending a name
// allocates nothing on any Go; encoding/json uses AppendText from the
// toolchain go.mod names (go1.27), not before, so the encoding half is
// checked where it does.
func TestEncodingAllocatesNothingPerTransition(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(20, func() {
		b := buf[:0]
		b, _ = flow.AwaitingApproval.AppendText(b)
		b, _ = flow.EvApprove.AppendText(b)
		_, _ = flow.EffDispatchApply.AppendText(b)
	}); n != 0 {
		t.Errorf("appending three names makes %v allocations, want none", n)
	}
	var called bool
	if _, err := json.Marshal(appendProbe{&called}); err != nil || !called {
		t.Logf("encoding/json of %s does not append text (err %v): encoding a request builds its names", runtime.Version(), err)
		return
	}
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
