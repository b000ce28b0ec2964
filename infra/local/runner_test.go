package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/tfplan"
)

const s3File = `module "tfpilot_a1" {
  source = "../../modules/s3-bucket"
}
`

// s3Resources are the resource blocks of modules/s3-bucket, in order.
var s3Resources = []string{
	"aws_s3_bucket.this", "aws_s3_bucket_public_access_block.this", "aws_s3_bucket_ownership_controls.this",
	"aws_s3_bucket_server_side_encryption_configuration.this", "aws_s3_bucket_versioning.this",
	"aws_s3_bucket_lifecycle_configuration.this", "aws_s3_bucket_policy.this",
}

func changes(label, action string) []flow.ResourceChange {
	var out []flow.ResourceChange
	for _, r := range s3Resources {
		out = append(out, flow.ResourceChange{Address: "module." + label + "." + r, Action: action})
	}
	return out
}

func newTestRunner(t *testing.T, g *GitRepo, dataDir string) *Runner {
	t.Helper()
	r, err := NewRunner(RunnerOptions{Repo: g, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func planDispatch(id, env string) flow.Dispatch {
	return flow.Dispatch{Project: "local", Workflow: flow.WorkflowPlan, RequestID: id, Environment: env, Ref: "tfpilot/" + id}
}

func TestRunnerPreview(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	r := newTestRunner(t, g, t.TempDir())
	c, err := g.OpenChange(ctx, spec("a1", "dev", s3File))
	if err != nil {
		t.Fatal(err)
	}
	run, err := r.Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != 1 || run.Status != flow.RunSucceeded || run.HeadSHA != c.HeadSHA {
		t.Fatalf("plan run = %+v; want run 1 succeeded at %s", run, c.HeadSHA)
	}
	sum, err := r.PlanResult(ctx, "local", run)
	if err != nil {
		t.Fatal(err)
	}
	want := flow.PlanSummary{Create: 7, Resources: changes("tfpilot_a1", "create"), Preview: true, TextURL: sum.TextURL}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("preview (-want +got):\n%s", diff)
	}
	text, err := os.ReadFile(sum.TextURL)
	if err != nil || !strings.HasPrefix(string(text), "PREVIEW: not a Terraform plan.") {
		t.Errorf("plan.txt = %q, %v; want it labelled a preview", text, err)
	}

	apply, err := r.Dispatch(ctx, flow.Dispatch{Project: "local", Workflow: flow.WorkflowApply, RequestID: "a1", Environment: "dev", Ref: c.Branch, PlanRunID: run.ID})
	if err != nil || apply.Status != flow.RunSucceeded || apply.ID != 2 {
		t.Fatalf("apply = %+v, %v; want run 2 succeeded", apply, err)
	}
	log, _ := os.ReadFile(filepath.Join(r.runDir(apply.ID), "log.txt"))
	if !strings.Contains(string(log), "nothing was created, changed or destroyed") {
		t.Errorf("preview apply log does not say nothing changed:\n%s", log)
	}

	// Destroy: merge, then a change deleting the file previews deletes.
	if _, err := g.MergeChange(ctx, "local", c); err != nil {
		t.Fatal(err)
	}
	if _, err := g.OpenChange(ctx, destroySpec("d1", "dev", "a1")); err != nil {
		t.Fatal(err)
	}
	drun, err := r.Dispatch(ctx, planDispatch("d1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	dsum, err := r.PlanResult(ctx, "local", drun)
	if err != nil {
		t.Fatal(err)
	}
	wantD := flow.PlanSummary{Delete: 7, Resources: changes("tfpilot_a1", "delete"), Preview: true, TextURL: dsum.TextURL}
	if diff := cmp.Diff(wantD, dsum); diff != "" {
		t.Errorf("destroy preview (-want +got):\n%s", diff)
	}
}

func TestRunnerDispatchIdempotent(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	data := t.TempDir()
	if _, err := g.OpenChange(ctx, spec("a1", "dev", s3File)); err != nil {
		t.Fatal(err)
	}
	first, err := newTestRunner(t, g, data).Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	// A restarted process (new Runner, same data) finds the same run.
	restarted := newTestRunner(t, g, data)
	again, err := restarted.Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second dispatch (-first +second):\n%s", diff)
	}
	status, err := restarted.Status(ctx, "local", flow.Run{ID: first.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, status); diff != "" {
		t.Errorf("status (-dispatch +status):\n%s", diff)
	}
	// Another commit on the branch (edited inputs) is another run.
	if _, err := g.OpenChange(ctx, spec("a1", "dev", strings.Replace(s3File, "a1", "a1 ", 1))); err != nil {
		t.Fatal(err)
	}
	edited, err := restarted.Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil || edited.ID != 2 {
		t.Errorf("dispatch after the branch moved = %+v, %v; want run 2", edited, err)
	}
}

func TestRunnerApplyRefusesMovedBranch(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	r := newTestRunner(t, g, t.TempDir())
	if _, err := g.OpenChange(ctx, spec("a1", "dev", s3File)); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.OpenChange(ctx, spec("a1", "dev", s3File+"# edited\n")); err != nil {
		t.Fatal(err)
	}
	apply, err := r.Dispatch(ctx, flow.Dispatch{Project: "local", Workflow: flow.WorkflowApply, RequestID: "a1", Environment: "dev", Ref: "tfpilot/a1", PlanRunID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	if apply.Status != flow.RunFailed || !strings.Contains(apply.Failure, "re-plan first") {
		t.Errorf("apply of a plan for an older commit = %+v; want failed, asking for a re-plan", apply)
	}
}

func TestRunnerResumesUnfinishedRun(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	data := t.TempDir()
	r := newTestRunner(t, g, data)
	c, err := g.OpenChange(ctx, spec("a1", "dev", s3File))
	if err != nil {
		t.Fatal(err)
	}
	// A process that died mid-run left this record behind.
	rec := &runRecord{ID: 1, Workflow: flow.WorkflowPlan, Project: "local", RequestID: "a1", Environment: "dev",
		Ref: c.Branch, HeadSHA: c.HeadSHA, Status: flow.RunInProgress}
	if err := os.MkdirAll(r.runDir(1), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.save(rec); err != nil {
		t.Fatal(err)
	}
	got, err := newTestRunner(t, g, data).Status(ctx, "local", flow.Run{ID: 1})
	if err != nil || got.Status != flow.RunSucceeded {
		t.Errorf("status of an interrupted run = %+v, %v; want it finished", got, err)
	}
}

func TestBackendOverride(t *testing.T) {
	got := string(backendOverride("/data/state/local/dev.tfstate"))
	want := "# Written by TfPilot's local runner: state stays on this machine.\nterraform {\n  backend \"local\" {\n    path = \"/data/state/local/dev.tfstate\"\n  }\n}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("override (-want +got):\n%s", diff)
	}
}

// TestRunnerTerraform plans and applies a module of terraform_data (a
// built-in provider, so no network) with the real terraform binary.
func TestRunnerTerraform(t *testing.T) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not on PATH")
	}
	ctx := context.Background()
	src := t.TempDir()
	for name, content := range map[string]string{
		"modules/tiny/main.tf":  "variable \"name\" {\n  type    = string\n  default = \"x\"\n}\n\nresource \"terraform_data\" \"this\" {\n  input = var.name\n}\n",
		"envs/dev/versions.tf":  "terraform {\n  backend \"s3\" {}\n}\n",
		"envs/prod/versions.tf": "terraform {}\n",
	} {
		if err := writeFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := InitRepo(ctx, dir, src, "main"); err != nil {
		t.Fatal(err)
	}
	g, err := NewGitRepo(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	r, err := NewRunner(RunnerOptions{Repo: g, DataDir: data, Terraform: bin, Summarize: tfplan.Summarize})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.OpenChange(ctx, spec("a1", "dev", "module \"tfpilot_a1\" {\n  source = \"../../modules/tiny\"\n}\n")); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Status != flow.RunSucceeded {
		t.Fatalf("plan = %+v", plan)
	}
	sum, err := r.PlanResult(ctx, "local", plan)
	if err != nil {
		t.Fatal(err)
	}
	want := []flow.ResourceChange{{Address: "module.tfpilot_a1.terraform_data.this", Action: "create"}}
	if diff := cmp.Diff(want, sum.Resources); diff != "" || sum.Preview || sum.Create != 1 {
		t.Errorf("plan summary %+v; resources (-want +got):\n%s", sum, diff)
	}
	apply, err := r.Dispatch(ctx, flow.Dispatch{Project: "local", Workflow: flow.WorkflowApply, RequestID: "a1", Environment: "dev", Ref: "tfpilot/a1", PlanRunID: plan.ID})
	if err != nil || apply.Status != flow.RunSucceeded {
		t.Fatalf("apply = %+v, %v", apply, err)
	}
	state, err := os.ReadFile(filepath.Join(data, "state", "local", "dev.tfstate"))
	if err != nil || !strings.Contains(string(state), "terraform_data") {
		t.Errorf("state after apply = %.200q, %v; want the terraform_data resource", state, err)
	}
}

// TestRunnerDispatchKey: with the asking effect's key, the same key finds the
// same run after a restart, and a new key (a re-plan) starts a new run even on
// an unchanged commit.
func TestRunnerDispatchKey(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	data := t.TempDir()
	if _, err := g.OpenChange(ctx, spec("a1", "dev", s3File)); err != nil {
		t.Fatal(err)
	}
	d := planDispatch("a1", "dev")
	d.Key = "4-dispatch_plan"
	first, err := newTestRunner(t, g, data).Dispatch(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	again, err := newTestRunner(t, g, data).Dispatch(ctx, d)
	if err != nil || again.ID != first.ID {
		t.Errorf("same key after restart = run %d (%v), want run %d", again.ID, err, first.ID)
	}
	d.Key = "9-dispatch_plan"
	replan, err := newTestRunner(t, g, data).Dispatch(ctx, d)
	if err != nil || replan.ID == first.ID {
		t.Errorf("new key = run %d (%v), want a new run", replan.ID, err)
	}
}
