package ghfake

import (
	stdcmp "cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step adds a run in environment env (of workflow wf, plan by default) or,
// when env is empty, completes run number done (1-based) successfully; want
// lists every run's status (and conclusion once completed) afterwards.
type step struct {
	env, wf string
	done    int
	want    string
}

func statuses(f *Fake) string {
	var out []string
	for _, r := range f.Runs("o/r") {
		s := r.Status
		if r.Conclusion != "" {
			s += "/" + r.Conclusion
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestFakeConcurrencyGroups(t *testing.T) {
	tests := []struct {
		name  string
		queue Queue
		steps []step
	}{
		{name: "single: a newer run cancels the pending one before it starts", queue: QueueSingle, steps: []step{
			{env: "dev", want: "queued"},
			{env: "dev", want: "queued pending"},
			{env: "dev", want: "queued completed/cancelled pending"},
			{done: 1, want: "completed/success completed/cancelled queued"},
			{done: 3, want: "completed/success completed/cancelled completed/success"},
		}},
		{name: "max: pending runs start in order", queue: QueueMax, steps: []step{
			{env: "dev", want: "queued"},
			{env: "dev", want: "queued pending"},
			{env: "dev", want: "queued pending pending"},
			{done: 1, want: "completed/success queued pending"},
			{done: 2, want: "completed/success completed/success queued"},
		}},
		{name: "plan and apply share the group", queue: QueueSingle, steps: []step{
			{env: "dev", wf: "apply", want: "queued"},
			{env: "dev", want: "queued pending"},
			{env: "dev", wf: "apply", want: "queued completed/cancelled pending"},
		}},
		{name: "group names ignore case", queue: QueueMax, steps: []step{
			{env: "dev", want: "queued"},
			{env: "DEV", want: "queued pending"},
		}},
		{name: "other groups do not interact", queue: QueueSingle, steps: []step{
			{env: "dev", want: "queued"},
			{env: "prod", want: "queued queued"},
			{env: "dev", want: "queued queued pending"},
			{env: "prod", want: "queued queued pending pending"},
			{done: 2, want: "queued completed/success pending queued"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(t)
			f.AddRepo("o", "r", "main", nil)
			f.SetQueue(tt.queue)
			var ids []int64
			for i, s := range tt.steps {
				if s.env != "" {
					ids = append(ids, f.AddRun("o/r", stdcmp.Or(s.wf, "plan"), "main", map[string]string{"request_id": "r", "environment": s.env}))
				} else {
					f.CompleteRun(ids[s.done-1], "success")
				}
				if diff := cmp.Diff(s.want, statuses(f)); diff != "" {
					t.Fatalf("after step %d (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
}

// TestFakeDefaultQueueIsMax: the fake's default is what plan.yml and
// apply.yml declare, and a dispatched run reports its pending status.
func TestFakeDefaultQueueIsMax(t *testing.T) {
	f := New(t)
	f.AddRepo("o", "r", "main", nil)
	first := f.AddRun("o/r", "plan", "main", map[string]string{"request_id": "a", "environment": "dev"})
	var ids []int64
	for _, id := range []string{"b", "c"} {
		body := fmt.Sprintf(`{"ref":"main","inputs":{"request_id":%q,"environment":"dev"},"return_run_details":true}`, id)
		var got struct {
			ID int64 `json:"workflow_run_id"`
		}
		do(t, f, "POST", "repos/o/r/actions/workflows/plan.yml/dispatches", body, &got)
		ids = append(ids, got.ID)
	}
	var run struct{ Status string }
	do(t, f, "GET", fmt.Sprintf("repos/o/r/actions/runs/%d", ids[0]), "", &run)
	if run.Status != "pending" {
		t.Errorf("run behind a queued one: status %q, want pending", run.Status)
	}
	f.CompleteRun(first, "success")
	if diff := cmp.Diff("completed/success queued pending", statuses(f)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func do(t *testing.T, f *Fake, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("Accept", "application/vnd.github.v3+json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestFakeRefusesWhatGitHubNeverDoes: a test cannot start or finish a pending
// run, only cancel it.
func TestFakeRefusesWhatGitHubNeverDoes(t *testing.T) {
	tests := []struct {
		name          string
		act           func(f *Fake, pending int64)
		wantComplaint string
	}{
		{name: "start", act: func(f *Fake, id int64) { f.StartRun(id) }, wantComplaint: "start run"},
		{name: "succeed", act: func(f *Fake, id int64) { f.CompleteRun(id, "success") }, wantComplaint: "complete run"},
		{name: "cancel", act: func(f *Fake, id int64) { f.CompleteRun(id, "cancelled") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			f := New(rec)
			f.AddRepo("o", "r", "main", nil)
			in := map[string]string{"request_id": "r", "environment": "dev"}
			f.AddRun("o/r", "plan", "main", in)
			pending := f.AddRun("o/r", "plan", "main", in)
			tt.act(f, pending)
			got := rec.complaints()
			if (tt.wantComplaint == "") != (got == "") || !strings.Contains(got, tt.wantComplaint) {
				t.Errorf("complaints %q, want one containing %q", got, tt.wantComplaint)
			}
		})
	}
}

// TestFakeFullQueueCancelsTheNewcomer: with queue max, a run entering a
// group that already has MaxPending pending runs is cancelled before it
// starts, and the pending ones keep their places ("When the queue is full,
// any additional jobs or workflow runs are canceled").
func TestFakeFullQueueCancelsTheNewcomer(t *testing.T) {
	f := New(t)
	f.AddRepo("o", "r", "main", nil)
	in := map[string]string{"request_id": "r", "environment": "dev"}
	first := f.AddRun("o/r", "plan", "main", in)
	for range MaxPending {
		f.AddRun("o/r", "plan", "main", in)
	}
	extra := f.AddRun("o/r", "plan", "main", in)
	count := func() map[string]int {
		n := map[string]int{}
		for _, r := range f.Runs("o/r") {
			n[strings.TrimSuffix(r.Status+"/"+r.Conclusion, "/")]++
		}
		return n
	}
	if diff := cmp.Diff(map[string]int{"queued": 1, "pending": MaxPending, "completed/cancelled": 1}, count()); diff != "" {
		t.Errorf("runs by status (-want +got):\n%s", diff)
	}
	var jobs struct {
		TotalCount int `json:"total_count"`
	}
	do(t, f, "GET", fmt.Sprintf("repos/o/r/actions/runs/%d/jobs", extra), "", &jobs)
	if last := f.Runs("o/r")[MaxPending+1]; last.ID != extra || last.Conclusion != "cancelled" || jobs.TotalCount != 0 {
		t.Errorf("newest run %+v with %d jobs, want run %d cancelled before it started", last, jobs.TotalCount, extra)
	}
	f.CompleteRun(first, "success")
	if diff := cmp.Diff(map[string]int{"completed/success": 1, "queued": 1, "pending": MaxPending - 1, "completed/cancelled": 1}, count()); diff != "" {
		t.Errorf("after the first completed (-want +got):\n%s", diff)
	}
}
