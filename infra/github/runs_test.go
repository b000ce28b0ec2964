package github

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

const dispatchEndpoint = "POST /repos/{owner}/{repo}/actions/workflows/{file}/dispatches"

func TestDispatch(t *testing.T) {
	tests := []struct {
		name         string
		noRunDetails bool
		hide         int // list calls before the new run shows up
		wantLists    int
	}{
		{name: "return_run_details"},
		{name: "204: found by run-name", noRunDetails: true, wantLists: 1},
		{name: "204: run shows up late", noRunDetails: true, hide: 2, wantLists: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ch := mustOpen(t, e.c, spec(fileContent))
			e.f.SetNoRunDetails(tt.noRunDetails)
			e.f.HideNewRuns(tt.hide)
			e.f.ResetCounts()
			run, err := e.c.Dispatch(context.Background(), planDispatch())
			if err != nil {
				t.Fatal(err)
			}
			runs := e.f.Runs(fullRepo)
			if len(runs) != 1 {
				t.Fatalf("%d runs, want 1", len(runs))
			}
			want := flow.Run{Workflow: flow.WorkflowPlan, ID: runs[0].ID, Status: flow.RunQueued, HeadSHA: ch.HeadSHA, Attempt: 1,
				URL: "https://github.com/acme/infra/actions/runs/" + itoa(runs[0].ID)}
			if diff := cmp.Diff(want, run); diff != "" {
				t.Errorf("run (-want +got):\n%s", diff)
			}
			wantInputs := map[string]string{"request_id": reqID, "environment": "dev"}
			if diff := cmp.Diff(wantInputs, runs[0].Inputs); diff != "" {
				t.Errorf("inputs (-want +got):\n%s", diff)
			}
			if n := e.f.Calls("GET /repos/{owner}/{repo}/actions/workflows/{file}/runs"); n != tt.wantLists {
				t.Errorf("%d run listings, want %d", n, tt.wantLists)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDispatchIdempotent restarts the process after a dispatch whose result
// was never recorded: the same dispatch must find the run, not start one.
func TestDispatchIdempotent(t *testing.T) {
	e := newEnv(t)
	mustOpen(t, e.c, spec(fileContent))
	first, err := e.c.Dispatch(context.Background(), planDispatch())
	if err != nil {
		t.Fatal(err)
	}
	same, err := e.c.Dispatch(context.Background(), planDispatch()) // same process: from memory
	if err != nil || same.ID != first.ID {
		t.Fatalf("same process: %+v, %v", same, err)
	}
	restarted := e.client(t)
	again, err := restarted.Dispatch(context.Background(), planDispatch())
	if err != nil || again.ID != first.ID {
		t.Fatalf("after restart: %+v, %v; want run %d", again, err, first.ID)
	}
	e.f.CompleteRun(first.ID, "success")
	apply, err := restarted.Dispatch(context.Background(), applyDispatch(first.ID))
	if err != nil {
		t.Fatal(err)
	}
	apply2, err := e.client(t).Dispatch(context.Background(), applyDispatch(first.ID))
	if err != nil || apply2.ID != apply.ID {
		t.Fatalf("apply after restart: %+v, %v; want run %d", apply2, err, apply.ID)
	}
	if got := len(e.f.Runs(fullRepo)); got != 2 {
		t.Errorf("%d runs, want 2 (one plan, one apply)", got)
	}
	// A failed apply does not block the retry: a new key starts a new run.
	e.f.CompleteRun(apply.ID, "failure")
	retry := applyDispatch(first.ID)
	retry.Key = "12-dispatch_apply"
	apply3, err := e.client(t).Dispatch(context.Background(), retry)
	if err != nil || apply3.ID == apply.ID {
		t.Fatalf("retry after a failed apply: %+v, %v", apply3, err)
	}
	if got := e.f.Runs(fullRepo)[2].Inputs["plan_run_id"]; got != itoa(first.ID) {
		t.Errorf("plan_run_id input = %q, want %d", got, first.ID)
	}
}

// TestDispatchLostAnswer: a dispatch whose answer is lost is not retried
// blindly; the engine's retry finds the run the lost call started.
func TestDispatchLostAnswer(t *testing.T) {
	e := newEnv(t)
	mustOpen(t, e.c, spec(fileContent))
	e.f.Inject(ghfake.Fault{Endpoint: dispatchEndpoint, Drop: true, AfterHandling: true})
	if _, err := e.c.Dispatch(context.Background(), planDispatch()); !errors.Is(err, flow.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
	if n := e.f.Calls(dispatchEndpoint); n != 1 {
		t.Errorf("dispatch sent %d times, want 1", n)
	}
	run, err := e.c.Dispatch(context.Background(), planDispatch())
	if err != nil {
		t.Fatal(err)
	}
	if runs := e.f.Runs(fullRepo); len(runs) != 1 || runs[0].ID != run.ID {
		t.Errorf("runs %+v, dispatch returned %d", runs, run.ID)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		status, conclusion string
		want               flow.RunStatus
	}{
		{"queued", "", flow.RunQueued},
		{"requested", "", flow.RunQueued},
		{"waiting", "", flow.RunQueued},
		{"pending", "", flow.RunQueued},
		{"in_progress", "", flow.RunInProgress},
		{"completed", "success", flow.RunSucceeded},
		{"completed", "cancelled", flow.RunCancelled},
		{"completed", "failure", flow.RunFailed},
		{"completed", "timed_out", flow.RunFailed},
		{"completed", "startup_failure", flow.RunFailed},
		{"completed", "action_required", flow.RunFailed},
	}
	e := newEnv(t)
	id := e.f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": reqID, "environment": "dev"})
	for _, tt := range tests {
		e.f.SetRunStatus(id, tt.status, tt.conclusion)
		e.c = e.client(t) // lists at once: a finished run followed again waits its repository's turn
		got, err := e.c.Status(context.Background(), project, flow.Run{Workflow: flow.WorkflowPlan, ID: id, Failure: "known"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != tt.want {
			t.Errorf("%s/%s → %v, want %v", tt.status, tt.conclusion, got.Status, tt.want)
		}
	}
}

func TestStatusFailureRedacted(t *testing.T) {
	e := newEnv(t)
	id := e.f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": reqID, "environment": "dev"})
	var log strings.Builder
	for i := 0; i < 30; i++ {
		log.WriteString("noise line\n")
	}
	log.WriteString("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
	log.WriteString("curl -H 'Authorization: Bearer ghs_16C7e42F292c6912E7710c838347Ae178B4a' x\n")
	log.WriteString("db password=hunter2 and token: dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB2YWx1ZQ==\n")
	log.WriteString("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdefghijklmnopqrstuv\n-----END RSA PRIVATE KEY-----\n")
	log.WriteString("Error: creating S3 Bucket (acme-dev-logs): AccessDenied\n")
	e.f.SetJobLog(id, log.String())
	e.f.CompleteRun(id, "failure")

	got, err := e.c.Status(context.Background(), project, flow.Run{Workflow: flow.WorkflowPlan, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != flow.RunFailed {
		t.Fatalf("status %v", got.Status)
	}
	for _, secret := range []string{"AKIAIOSFODNN7EXAMPLE", "ghs_16C7", "hunter2", "dGhpcyBp", "MIIEpAIB", "2026-01-02T"} {
		if strings.Contains(got.Failure, secret) {
			t.Errorf("failure text leaks %q:\n%s", secret, got.Failure)
		}
	}
	for _, want := range []string{`job "Plan" failed at step "terraform plan"`, "AccessDenied", "AWS_ACCESS_KEY_ID=" + Redacted} {
		if !strings.Contains(got.Failure, want) {
			t.Errorf("failure text lacks %q:\n%s", want, got.Failure)
		}
	}
	if n := strings.Count(got.Failure, "\n"); n != tailLines {
		t.Errorf("failure has %d log lines, want %d", n, tailLines)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"key AKIAIOSFODNN7EXAMPLE here", "key [REDACTED] here"},
		{"ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]"},
		{"github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[REDACTED]"},
		{"slack xoxb-1234-5678-abcdefgh", "slack [REDACTED]"},
		{"PASSWORD=\"s3cr3t pass\" next", "PASSWORD=[REDACTED] next"},
		{"client_secret: abcdefghijklmnopqrstuvwxyz012345", "client_secret: [REDACTED]"},
		{"token=short", "token=short"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", "[REDACTED]"},
		{"2026-01-02T03:04:05.1234567Z \x1b[31mError\x1b[0m: boom", "Error: boom"},
		{"Plan: 1 to add, 0 to change, 0 to destroy.", "Plan: 1 to add, 0 to change, 0 to destroy."},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Redact(tt.in)); diff != "" {
			t.Errorf("Redact(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestPlanResult(t *testing.T) {
	e := newEnv(t)
	plan := []byte(`{"format_version":"1.2","resource_changes":[{"address":"module.x.aws_s3_bucket.this"}]}`)
	e.f.SetPlanJSON(plan)
	id := e.f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": reqID, "environment": "dev"})
	e.f.CompleteRun(id, "success")
	run := flow.Run{Workflow: flow.WorkflowPlan, ID: id, URL: "https://github.com/acme/infra/actions/runs/" + itoa(id)}

	got, err := e.c.PlanResult(context.Background(), project, run)
	if err != nil {
		t.Fatal(err)
	}
	want := flow.PlanSummary{Create: 1, Resources: []flow.ResourceChange{{Address: "module.x.aws_s3_bucket.this", Action: "create"}},
		TextURL: run.URL}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]byte{plan}, e.sum.got); diff != "" {
		t.Errorf("Summarize got (-want +got):\n%s", diff)
	}

	e.f.ExpireArtifact(id)
	if _, err := e.c.PlanResult(context.Background(), project, run); !errors.Is(err, flow.ErrNotFound) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired artifact: %v", err)
	}
	failed := e.f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": reqID, "environment": "dev"})
	e.f.CompleteRun(failed, "failure")
	if _, err := e.c.PlanResult(context.Background(), project, flow.Run{ID: failed}); !errors.Is(err, flow.ErrNotFound) {
		t.Errorf("missing artifact: %v", err)
	}
}

// TestDispatchKeyInRunName: with DispatchKeyInput the key decides, even
// after restarts: same key → same run (even a failed one), new key → new
// run (even on the same commit, where the heuristic would reuse the plan).
func TestDispatchKeyInRunName(t *testing.T) {
	e := newEnv(t)
	keyed := func() *Client {
		c := e.client(t)
		c.keyInput = ghfake.KeyInput
		return c
	}
	mustOpen(t, keyed(), spec(fileContent))
	first, err := keyed().Dispatch(context.Background(), planDispatch())
	if err != nil {
		t.Fatal(err)
	}
	e.f.CompleteRun(first.ID, "failure")
	same, err := keyed().Dispatch(context.Background(), planDispatch())
	if err != nil || same.ID != first.ID {
		t.Fatalf("same key after restart: %+v, %v; want run %d", same, err, first.ID)
	}
	replan := planDispatch()
	replan.Key = "13-dispatch_plan" // contains "3-dispatch_plan": must not match it
	second, err := keyed().Dispatch(context.Background(), replan)
	if err != nil || second.ID == first.ID {
		t.Fatalf("new key: %+v, %v", second, err)
	}
	if again, err := keyed().Dispatch(context.Background(), planDispatch()); err != nil || again.ID != first.ID {
		t.Errorf("key 3 after key 13 exists: %+v, %v; want run %d", again, err, first.ID)
	}
	runs := e.f.Runs(fullRepo)
	if len(runs) != 2 || runs[1].Inputs[ghfake.KeyInput] != "13-dispatch_plan" {
		t.Errorf("runs = %+v", runs)
	}
}

// TestStatusCancelledBeforeStart: with queue: single a newer run entering
// the concurrency group cancels the pending one before it starts; Status
// tells that apart from a run someone cancelled.
func TestStatusCancelledBeforeStart(t *testing.T) {
	dev := func(id string) map[string]string { return map[string]string{"request_id": id, "environment": "dev"} }
	tests := []struct {
		name  string
		setup func(f *ghfake.Fake) int64 // returns the run to ask about
		want  flow.RunStatus
	}{
		{"a newer run took its pending place", func(f *ghfake.Fake) int64 {
			f.AddRun(fullRepo, "plan", "main", dev("a"))
			id := f.AddRun(fullRepo, "plan", "main", dev("b"))
			f.AddRun(fullRepo, "apply", "main", map[string]string{"request_id": "c", "environment": "DEV", "plan_run_id": "1"})
			return id
		}, flow.RunCancelledPending},
		{"cancelled while running, newer runs waiting", func(f *ghfake.Fake) int64 {
			id := f.AddRun(fullRepo, "plan", "main", dev("a"))
			f.StartRun(id)
			f.AddRun(fullRepo, "plan", "main", dev("b"))
			f.CompleteRun(id, "cancelled")
			return id
		}, flow.RunCancelled},
		{"pending run cancelled by someone, no newer run", func(f *ghfake.Fake) int64 {
			f.AddRun(fullRepo, "plan", "main", dev("a"))
			id := f.AddRun(fullRepo, "plan", "main", dev("b"))
			f.CompleteRun(id, "cancelled")
			return id
		}, flow.RunCancelled},
		{"a newer run in another environment's group", func(f *ghfake.Fake) int64 {
			id := f.AddRun(fullRepo, "plan", "main", dev("a"))
			f.StartRun(id)
			f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": "b", "environment": "prod"})
			f.CompleteRun(id, "cancelled")
			return id
		}, flow.RunCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.f.SetQueue(ghfake.QueueSingle)
			id := tt.setup(e.f)
			got, err := e.c.Status(context.Background(), project, flow.Run{Workflow: flow.WorkflowPlan, ID: id})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}
