package local

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// busyCounts is what Busy says of the targets a test looks at.
func busyCounts(t *testing.T, r *Runner) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tg := range [][2]string{{"local", "dev"}, {"local", "prod"}, {"other", "dev"}} {
		n, err := r.Busy(t.Context(), tg[0], tg[1])
		if err != nil {
			t.Fatalf("Busy(%s, %s): %v", tg[0], tg[1], err)
		}
		out[tg[0]+"/"+tg[1]] = n
	}
	return out
}

// waitActive waits until a call is taking run id to its end (it waits for
// the exec lock the test holds, or executes).
func waitActive(t *testing.T, r *Runner, id int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		active := r.active[id]
		r.mu.Unlock()
		if active {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never became active", id)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRunnerBusy checks that a run counts in its project's environment
// from its dispatch until it ends, and that a run an earlier process left
// unfinished counts only while a Status resumes it.
func TestRunnerBusy(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	data := t.TempDir()
	r := newTestRunner(t, g, data)
	if _, err := g.OpenChange(ctx, spec("a1", "dev", s3File)); err != nil {
		t.Fatal(err)
	}
	idle := map[string]int{"local/dev": 0, "local/prod": 0, "other/dev": 0}
	devBusy := map[string]int{"local/dev": 1, "local/prod": 0, "other/dev": 0}
	if diff := cmp.Diff(idle, busyCounts(t, r)); diff != "" {
		t.Errorf("Busy before any run (-want +got):\n%s", diff)
	}

	// Another run executes: the dispatched one waits for its turn.
	r.exec.Lock()
	done := make(chan error, 1)
	go func() {
		_, err := r.Dispatch(ctx, planDispatch("a1", "dev"))
		done <- err
	}()
	waitActive(t, r, 1)
	if diff := cmp.Diff(devBusy, busyCounts(t, r)); diff != "" {
		t.Errorf("Busy while the dispatched run waits (-want +got):\n%s", diff)
	}
	r.exec.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if diff := cmp.Diff(idle, busyCounts(t, r)); diff != "" {
		t.Errorf("Busy after the run ended (-want +got):\n%s", diff)
	}

	// A process that died mid-run left run 2 behind: nothing runs it until
	// a Status of a new process resumes it.
	rec := &runRecord{ID: 2, Workflow: flow.WorkflowPlan, Project: "local", RequestID: "a1", Environment: "dev",
		Ref: "tfpilot/a1", HeadSHA: mustResolve(t, g, "tfpilot/a1"), Status: flow.RunInProgress}
	if err := os.MkdirAll(r.runDir(2), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.save(rec); err != nil {
		t.Fatal(err)
	}
	restarted := newTestRunner(t, g, data)
	if diff := cmp.Diff(idle, busyCounts(t, restarted)); diff != "" {
		t.Errorf("Busy of a new process with an unfinished run on disk (-want +got):\n%s", diff)
	}
	restarted.exec.Lock()
	go func() {
		_, err := restarted.Status(ctx, "local", flow.Run{ID: 2})
		done <- err
	}()
	waitActive(t, restarted, 2)
	if diff := cmp.Diff(devBusy, busyCounts(t, restarted)); diff != "" {
		t.Errorf("Busy while Status resumes the run (-want +got):\n%s", diff)
	}
	restarted.exec.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("Status: %v", err)
	}
	if diff := cmp.Diff(idle, busyCounts(t, restarted)); diff != "" {
		t.Errorf("Busy after the resumed run ended (-want +got):\n%s", diff)
	}
}

func mustResolve(t *testing.T, g *GitRepo, ref string) string {
	t.Helper()
	sha, ok, err := g.Resolve(t.Context(), ref)
	if err != nil || !ok {
		t.Fatalf("resolve %s: %v, %v", ref, ok, err)
	}
	return sha
}
