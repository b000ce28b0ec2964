package local

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// TestUpdateDoesNotLoadTheReplacedRecord checks that an update does not
// read the record it replaces into memory, only its revision: replacing a
// large record with a small one allocates less than the large one's size.
// Every transition replaces a record; reading it whole was a copy of the
// request allocated on every write.
func TestUpdateDoesNotLoadTheReplacedRecord(t *testing.T) {
	s := openStore(t, t.TempDir())
	const large = 1 << 20
	r := &flow.Request{ID: "0195a3c0-0000-7000-8000-00000000000a", Kind: flow.KindCreate, State: flow.Planning, Version: 1,
		CreatedAt: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), Inputs: map[string]string{"blob": strings.Repeat("x", large)}}
	if err := s.Create(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.Inputs, r.Version = map[string]string{"name": "logs"}, 2
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := s.Update(t.Context(), r)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got >= large {
		t.Errorf("Update allocated %d bytes replacing a record of %d, want less", got, large)
	}
	got, err := s.Get(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rev != r.Rev || got.Inputs["name"] != "logs" {
		t.Errorf("stored %+v (rev %s), want the update (rev %s)", got.Inputs, got.Rev, r.Rev)
	}
}
