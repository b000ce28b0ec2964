package card

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

// A destroy request is named by its own label; its target's label says
// what it destroys.
func TestDestroyLabels(t *testing.T) {
	r := &flow.Request{ID: "01900000-0000-7000-8000-0000000000cd", Kind: flow.KindDestroy, Target: "01900000-0000-7000-8000-0000000000ab",
		Label: "0000000000ab", File: "envs/dev/tfpilot_0000000000ab.tf", Module: "s3-bucket", Environment: "dev",
		Requester: flow.Actor{ID: "U1"}, State: flow.Planning}
	if got := ShortID(r); got != "0000000000cd" {
		t.Errorf("ShortID = %q, want the destroy request's own label", got)
	}
	if got := TargetLabel(r); got != "0000000000ab" {
		t.Errorf("TargetLabel = %q, want the target's label", got)
	}
	c := Status(r, Options{})
	want := []Field{{"Request", "0000000000cd"}, {"Destroys", "0000000000ab (envs/dev/tfpilot_0000000000ab.tf)"},
		{"Requested by", "U1"}, {"Environment", "dev"}, {"Module", "s3-bucket"}, {"State", "planning"}}
	if diff := cmp.Diff(want, c.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if !strings.Contains(c.Fallback, "(0000000000cd)") || !strings.Contains(ListLine(r), "0000000000cd · Destroy 0000000000ab") {
		t.Errorf("fallback %q / list line %q do not name the destroy request by its own label", c.Fallback, ListLine(r))
	}
	r.Label = "" // an older record: the target's label comes from Target
	if got := TargetLabel(r); got != "0000000000ab" {
		t.Errorf("TargetLabel without Label = %q", got)
	}
	create := &flow.Request{ID: "01900000-0000-7000-8000-0000000000ab", Label: "0000000000ab", Kind: flow.KindCreate}
	if ShortID(create) != "0000000000ab" || TargetLabel(create) != "" {
		t.Errorf("create: ShortID %q, TargetLabel %q", ShortID(create), TargetLabel(create))
	}
}

func TestStatusLine(t *testing.T) {
	run := func(w flow.Workflow, id int64, s flow.RunStatus) *flow.Run {
		return &flow.Run{Workflow: w, ID: id, Status: s, URL: "/runs/" + string(w)}
	}
	tests := []struct {
		name string
		r    flow.Request
		want string
	}{
		{"opening", flow.Request{State: flow.OpeningPR}, "opening the pull request"},
		{"planning on a PR", flow.Request{State: flow.Planning, Change: &flow.Change{Number: 3}}, "planning · pull request #3"},
		{"plan run", flow.Request{State: flow.Planning, Change: &flow.Change{Number: 3}, PlanRun: run(flow.WorkflowPlan, 1, flow.RunSucceeded)},
			"planning · plan run 1 succeeded · /runs/plan"},
		{"apply run", flow.Request{State: flow.Applying, ApplyRun: run(flow.WorkflowApply, 2, flow.RunInProgress)},
			"applying · apply run 2 " + flow.RunInProgress.String() + " · /runs/apply"},
		{"merged", flow.Request{State: flow.Applied, Change: &flow.Change{Number: 3, Merged: true}}, "applied · pull request #3 merged"},
		{"not merged", flow.Request{State: flow.AppliedNotMerged, MergeRefusal: "Required status check \"plan\" is expected.",
			Problem: "The pull request was not merged. Fix what GitHub reports, then press Retry merge."},
			"applied — not merged: Required status check \"plan\" is expected. · The pull request was not merged. Fix what GitHub reports, then press Retry merge."},
		{"problem", flow.Request{State: flow.Planning, Problem: "Could not start the plan: boom."}, "planning · Could not start the plan: boom."},
		{"no approval needed", flow.Request{State: flow.Approved, Environment: "dev", PlanRun: run(flow.WorkflowPlan, 1, flow.RunSucceeded)},
			"ready to apply (no approval needed in dev)"},
		{"approved by someone", flow.Request{State: flow.Approved, Environment: "prod", PlanRun: run(flow.WorkflowPlan, 1, flow.RunSucceeded),
			Approvals: []flow.Approval{{Actor: flow.Actor{ID: "U2"}, PlanRunID: 1}}}, "approved: ready to apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusLine(&tt.r, nil); got != tt.want {
				t.Errorf("StatusLine = %q, want %q", got, tt.want)
			}
		})
	}
}

// A static preview says so once, in its heading, with how to get a plan.
func TestPreviewSaidOnce(t *testing.T) {
	r := &flow.Request{ID: "r1", State: flow.Approved, Plan: &flow.PlanSummary{Preview: true, Create: 1}}
	c := Status(r, Options{})
	var all []string
	for _, s := range c.Sections {
		all = append(all, s.Title)
		all = append(all, s.Lines...)
	}
	all = append(all, c.Notes...)
	text := strings.ToLower(strings.Join(all, "\n"))
	if n := strings.Count(text, "not a terraform plan"); n != 1 {
		t.Errorf("\"not a Terraform plan\" said %d times:\n%s", n, text)
	}
	if !strings.Contains(text, "--plan=terraform") {
		t.Errorf("the preview does not say how to get a real plan:\n%s", text)
	}
}

// A request nobody approved, because its environment needs no approval,
// never reads as approved.
func TestNoApprovalNeededCard(t *testing.T) {
	r := &flow.Request{ID: "01900000-0000-7000-8000-0000000000ab", Kind: flow.KindCreate, Module: "s3-bucket", Environment: "dev",
		Requester: flow.Actor{ID: "U1"}, State: flow.Approved, PlanRun: &flow.Run{Workflow: flow.WorkflowPlan, ID: 1}}
	c := Status(r, Options{Policy: testPolicy})
	if diff := cmp.Diff("Ready to apply (no approval needed in dev)", c.Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(c.Fallback, ": Ready to apply (no approval needed in dev)") {
		t.Errorf("fallback %q", c.Fallback)
	}
}

// A request whose destroy request applied says so, with that request's
// label, on its card, status line and list line.
func TestDestroyedTarget(t *testing.T) {
	r := &flow.Request{ID: "01900000-0000-7000-8000-0000000000ab", Kind: flow.KindCreate, Module: "s3-bucket", Environment: "dev",
		Requester: flow.Actor{ID: "U1"}, State: flow.Applied, Change: &flow.Change{Number: 3, Merged: true},
		DestroyedBy: "01900000-0000-7000-8000-0000000000cd"}
	if got := Status(r, Options{}).Status; got != "Applied" {
		t.Fatalf("claimed by a destroy request that has not applied: status %q, want Applied", got)
	}
	r.DestroyedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Status(r, Options{})
	got := []string{c.Status, StatusLine(r, nil), ListLine(r)}
	want := []string{"Destroyed by request 0000000000cd", "destroyed by request 0000000000cd",
		"0000000000ab · Create s3-bucket in dev · destroyed by 0000000000cd · U1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status, status line, list line (-want +got):\n%s", diff)
	}
	if !slices.Contains(c.Fields, Field{"Destroyed by", "0000000000cd"}) {
		t.Errorf("fields %v lack Destroyed by", c.Fields)
	}
}

// A card of a request whose environment is held says by whom, and offers
// no Approve (flow's outlook with the hold leaves it out).
func TestHeldCard(t *testing.T) {
	r := &flow.Request{ID: "01900000-0000-7000-8000-0000000000ab", Kind: flow.KindCreate, Module: "s3-bucket", Environment: "dev",
		Requester: flow.Actor{ID: "U1"}, State: flow.AwaitingApproval, PlanRun: &flow.Run{Workflow: flow.WorkflowPlan, ID: 1}}
	o := flow.OutlookWith(r, *testPolicy, nil, flow.Facts{HeldBy: "0000000000cd"})
	c := Status(r, Options{Policy: testPolicy, Outlook: &o})
	var lines []string
	for _, s := range c.Sections {
		lines = append(lines, s.Lines...)
	}
	if want := "dev is held by 0000000000cd, applied but not merged: approve and apply wait for its merge"; !slices.Contains(lines, want) {
		t.Errorf("section lines %q lack %q", lines, want)
	}
	for _, g := range c.Groups {
		for _, b := range g.Buttons {
			if ev, ok := actionKind(b.Action); ok && ev == flow.EvApprove {
				t.Errorf("held card offers Approve: %+v", b)
			}
		}
	}
}

// TestQueuedCard: a plan or apply waiting in its environment's run queue
// says how many runs are ahead; a run GitHub cancelled before it started
// and TfPilot dispatched again says so.
func TestQueuedCard(t *testing.T) {
	base := flow.Request{ID: "01900000-0000-7000-8000-0000000000ab", Kind: flow.KindCreate, Module: "s3-bucket", Environment: "dev",
		Requester: flow.Actor{ID: "U1"}}
	for _, tc := range []struct {
		name   string
		edit   func(r *flow.Request)
		status string
		note   string
	}{
		{"plan queued", func(r *flow.Request) {
			r.State, r.Queue = flow.Planning, &flow.QueuePlace{Ahead: 2, Workflow: flow.WorkflowPlan}
		}, "Queued: 2 runs ahead in dev", ""},
		{"apply queued", func(r *flow.Request) {
			r.State, r.Queue = flow.Applying, &flow.QueuePlace{Ahead: 1, Workflow: flow.WorkflowApply}
		}, "Apply queued: 1 run ahead in dev", ""},
		{"apply queued behind a foreign run", func(r *flow.Request) {
			r.State, r.Queue = flow.Applying, &flow.QueuePlace{Ahead: 1, Workflow: flow.WorkflowApply, Foreign: true}
		}, "Apply queued: 1 run ahead in dev (not started by TfPilot: by hand or on a schedule; it goes when that ends)", ""},
		{"planning", func(r *flow.Request) { r.State = flow.Planning }, "Planning", ""},
		{"dispatched again", func(r *flow.Request) { r.State, r.Redispatches = flow.Applying, 1 }, "Applying",
			"GitHub cancelled the apply run before it started (another run took its place); TfPilot dispatched it again (1 of 3)."},
	} {
		r := base
		tc.edit(&r)
		c := Status(&r, Options{Policy: testPolicy})
		if c.Status != tc.status {
			t.Errorf("%s: status %q, want %q", tc.name, c.Status, tc.status)
		}
		if got := strings.Join(c.Notes, "\n"); got != tc.note {
			t.Errorf("%s: notes %q, want %q", tc.name, got, tc.note)
		}
	}
}

// TestCarriedApprovalCard: an approval carried over to a plan TfPilot made
// again says which plan run it was given for, and why it still counts.
func TestCarriedApprovalCard(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &flow.Request{ID: "01900000-0000-7000-8000-0000000000ab", Kind: flow.KindCreate, Module: "s3-bucket", Environment: "dev",
		Requester: flow.Actor{ID: "U1"}, State: flow.Approved, PlanRun: &flow.Run{Workflow: flow.WorkflowPlan, ID: 12, HeadSHA: "h2"},
		Approvals: []flow.Approval{{Actor: flow.Actor{ID: "U3", Name: "bob"}, PlanRunID: 12, HeadSHA: "h2", At: at, CarriedFrom: 9}}}
	var lines []string
	for _, s := range Status(r, Options{Policy: testPolicy}).Sections {
		lines = append(lines, s.Lines...)
	}
	want := "Approved by bob at 2025-01-02 03:04 UTC (plan run 9; carried over: same changes after another request merged)"
	if !slices.Contains(lines, want) {
		t.Errorf("section lines %q lack %q", lines, want)
	}
	if rec := flow.RecordText(r); !strings.Contains(rec, "carried over from plan run 9") {
		t.Errorf("the pull request record does not say the approval was carried over:\n%s", rec)
	}
}
