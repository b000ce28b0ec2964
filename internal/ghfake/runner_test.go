package ghfake

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunnerSpans: the runner starts and completes runs as GitHub's
// runners would, a run dispatched into an occupied group waits pending
// and shows as an overlap, and runs dispatched one after the other do not.
func TestRunnerSpans(t *testing.T) {
	tests := []struct {
		name     string
		together bool // dispatch the second run before the first completes
		want     string
	}{
		{name: "one after the other", want: "pending=false,false overlaps=0"},
		{name: "together", together: true, want: "pending=false,true overlaps=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(t)
			f.AddRepo("o", "r", "main", map[string]string{"README": "x"})
			rn := f.StartRunner(RunnerOptions{Pickup: time.Millisecond, Duration: 20 * time.Millisecond, Every: time.Millisecond})
			in := map[string]string{"environment": "dev", "request_id": "a"}
			first := f.AddRun("o/r", "plan", "main", in)
			if !tt.together {
				waitRun(t, f, first)
			}
			second := f.AddRun("o/r", "plan", "main", in)
			waitRun(t, f, first)
			waitRun(t, f, second)
			rn.Stop()
			spans := rn.Spans("o/r")
			if len(spans) != 2 {
				t.Fatalf("spans = %+v, want 2", spans)
			}
			for _, sp := range spans {
				if sp.Started.IsZero() || sp.Completed.Before(sp.Started) || sp.Started.Before(sp.Created) || sp.Conclusion != "success" {
					t.Errorf("span %+v: want created ≤ started ≤ completed, success", sp)
				}
			}
			got := fmt.Sprintf("pending=%v,%v overlaps=%d", spans[0].Pending, spans[1].Pending, len(Overlaps(spans, time.Now())))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func waitRun(t *testing.T, f *Fake, id int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range f.Runs("o/r") {
			if r.ID == id && r.Status == "completed" {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("run %d not completed", id)
}

// TestDuplicates: what a client made twice is listed.
func TestDuplicates(t *testing.T) {
	f := New(t)
	f.AddRepo("o", "r", "main", map[string]string{"README": "x"})
	f.mu.Lock()
	rp := f.repos["o/r"]
	f.noteRefCreated(rp, "heads/a")
	f.noteRefCreated(rp, "heads/a")
	f.noteRefCreated(rp, "heads/b")
	rp.pulls = append(rp.pulls, &pull{number: 1, head: "a", merged: true}, &pull{number: 2, head: "a", merged: true},
		&pull{number: 3, head: "b"})
	f.mu.Unlock()
	key := map[string]string{"environment": "dev", "request_id": "a", KeyInput: "k1"}
	f.AddRun("o/r", "plan", "main", key)
	f.AddRun("o/r", "plan", "main", key)
	f.AddRun("o/r", "apply", "main", key)                                                                       // another workflow
	f.AddRun("o/r", "plan", "main", map[string]string{"environment": "dev", "request_id": "b", KeyInput: "k1"}) // another request
	want := []string{
		"ref heads/a created 2 times",
		"2 pull requests from a",
		"2 merged pull requests from a",
		"runs [1001 1002] dispatched for one request, workflow and dispatch_key (a plan k1)",
	}
	if diff := cmp.Diff(want, f.Duplicates("o/r")); diff != "" {
		t.Errorf("Duplicates (-want +got)\n%s", diff)
	}
}
