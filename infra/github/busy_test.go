package github

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// handRun adds a run of workflow in env as if dispatched by hand from the
// Actions tab: plan.yml's run-name, no dispatch key.
func handRun(f *ghfake.Fake, workflow, env string) int64 {
	in := map[string]string{"environment": env, "request_id": "by-hand"}
	if workflow == "apply" {
		in["plan_run_id"] = "1"
	}
	return f.AddRun(fullRepo, workflow, "main", in)
}

// busyOf is what Busy says of dev and prod.
func busyOf(t *testing.T, c *Client) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, env := range []string{"dev", "prod"} {
		n, err := c.Busy(context.Background(), project, env)
		if err != nil {
			t.Fatalf("Busy(%s): %v", env, err)
		}
		out[env] = n
	}
	return out
}

func TestBusy(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *ghfake.Fake)
		want  map[string]int
	}{
		{"no runs", func(*ghfake.Fake) {}, map[string]int{"dev": 0, "prod": 0}},
		{"queued plan in dev", func(f *ghfake.Fake) { handRun(f, "plan", "dev") }, map[string]int{"dev": 1, "prod": 0}},
		{"plan in progress in dev", func(f *ghfake.Fake) { f.StartRun(handRun(f, "plan", "dev")) }, map[string]int{"dev": 1, "prod": 0}},
		{"finished plan in dev", func(f *ghfake.Fake) { f.CompleteRun(handRun(f, "plan", "dev"), "success") }, map[string]int{"dev": 0, "prod": 0}},
		{"cancelled pending run", func(f *ghfake.Fake) {
			handRun(f, "plan", "dev")
			f.CompleteRun(handRun(f, "plan", "dev"), "cancelled")
		}, map[string]int{"dev": 1, "prod": 0}},
		{"running apply and pending plan in dev, plan in prod", func(f *ghfake.Fake) {
			f.StartRun(handRun(f, "apply", "dev"))
			handRun(f, "plan", "dev") // pending behind the apply
			handRun(f, "plan", "prod")
		}, map[string]int{"dev": 2, "prod": 1}},
		{"waiting for an environment's reviewers", func(f *ghfake.Fake) {
			f.SetRunStatus(handRun(f, "apply", "prod"), "waiting", "")
		}, map[string]int{"dev": 0, "prod": 1}},
		{"requested", func(f *ghfake.Fake) { f.SetRunStatus(handRun(f, "plan", "prod"), "requested", "") }, map[string]int{"dev": 0, "prod": 1}},
		{"group named in another case", func(f *ghfake.Fake) { handRun(f, "plan", "DEV") }, map[string]int{"dev": 1, "prod": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e.f)
			if diff := cmp.Diff(tc.want, busyOf(t, e.c)); diff != "" {
				t.Errorf("Busy (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBusyReadsAfresh checks that Busy sees a run that started, and misses
// no end of one, within the poll interval of the list that answers Status.
func TestBusyReadsAfresh(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := handRun(e.f, "plan", "dev")
	// Status lists the runs now; that list answers it for PollInterval.
	if _, err := e.c.Status(ctx, project, flow.Run{Workflow: flow.WorkflowPlan, ID: first}); err != nil {
		t.Fatalf("Status: %v", err)
	}
	if diff := cmp.Diff(map[string]int{"dev": 1, "prod": 0}, busyOf(t, e.c)); diff != "" {
		t.Errorf("Busy with one run (-want +got):\n%s", diff)
	}
	// No time passes: the run list that answers Status is still current.
	e.f.CompleteRun(first, "success")
	if diff := cmp.Diff(map[string]int{"dev": 0, "prod": 0}, busyOf(t, e.c)); diff != "" {
		t.Errorf("Busy right after the run ended (-want +got):\n%s", diff)
	}
	handRun(e.f, "apply", "prod")
	if diff := cmp.Diff(map[string]int{"dev": 0, "prod": 1}, busyOf(t, e.c)); diff != "" {
		t.Errorf("Busy right after a run was queued (-want +got):\n%s", diff)
	}
}
