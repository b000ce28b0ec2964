package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"github.com/zclconf/go-cty/cty"
)

// failureLines is how many of the last log lines a failed run reports.
const failureLines = 15

// execute runs rec to its end, setting its Status, Failure and Plan, and
// writes runs/<id>/log.txt.
func (r *Runner) execute(ctx context.Context, rec *runRecord) {
	var log bytes.Buffer
	fmt.Fprintf(&log, "TfPilot local %s run %d for request %s in %s at %s\n", rec.Workflow, rec.ID, rec.RequestID, rec.Environment, rec.HeadSHA)
	var err error
	switch rec.Workflow {
	case flow.WorkflowPlan:
		err = r.plan(ctx, rec, &log)
	case flow.WorkflowApply:
		err = r.apply(ctx, rec, &log)
	}
	rec.Status, rec.Failure = flow.RunSucceeded, ""
	if err != nil {
		fmt.Fprintf(&log, "error: %v\n", err)
		rec.Status, rec.Failure = flow.RunFailed, failure(err, log.String())
	}
	_ = os.WriteFile(filepath.Join(r.runDir(rec.ID), "log.txt"), log.Bytes(), 0o644)
}

// failure is the user-facing text of a failed run: the error and the last
// lines of the log.
func failure(err error, log string) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) > failureLines {
		lines = lines[len(lines)-failureLines:]
	}
	return err.Error() + "\n" + strings.Join(lines, "\n")
}

// workDir is where a run checks out its commit.
func (r *Runner) workDir(id int64) string { return filepath.Join(r.runDir(id), "work") }

func (r *Runner) plan(ctx context.Context, rec *runRecord, log *bytes.Buffer) error {
	work := r.workDir(rec.ID)
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := r.opts.Repo.Export(ctx, rec.HeadSHA, work); err != nil {
		return err
	}
	fmt.Fprintf(log, "checked out %s into %s\n", rec.HeadSHA, work)
	var sum flow.PlanSummary
	var text string
	var err error
	if r.Preview() {
		sum, text, err = r.preview(ctx, rec, work)
	} else {
		sum, text, err = r.terraformPlan(ctx, rec, work, log)
	}
	if err != nil {
		return err
	}
	txt := filepath.Join(r.runDir(rec.ID), "plan.txt")
	if err := os.WriteFile(txt, []byte(text), 0o644); err != nil {
		return err
	}
	sum.TextURL = txt
	rec.Plan = &sum
	log.WriteString(text)
	return nil
}

func (r *Runner) apply(ctx context.Context, rec *runRecord, log *bytes.Buffer) error {
	plan, err := r.load(rec.PlanRunID)
	if err != nil {
		return fmt.Errorf("apply: plan run: %w", err)
	}
	if plan.Workflow != flow.WorkflowPlan || plan.RequestID != rec.RequestID || plan.Status != flow.RunSucceeded {
		return fmt.Errorf("apply: run %d is not a successful plan of request %s", plan.ID, rec.RequestID)
	}
	// As apply.yml does: refuse unless the branch is still at the planned commit.
	if plan.HeadSHA != rec.HeadSHA {
		return fmt.Errorf("apply: the branch is at %.12s but plan run %d was made at %.12s; re-plan first", rec.HeadSHA, plan.ID, plan.HeadSHA)
	}
	if r.Preview() {
		fmt.Fprintf(log, "PREVIEW MODE: recorded the apply of plan run %d; nothing was created, changed or destroyed in any cloud.\n", plan.ID)
		fmt.Fprintf(log, "Run `bot local --plan=terraform` to plan and apply with Terraform.\n")
		return nil
	}
	dir := filepath.Join(r.workDir(plan.ID), "envs", plan.Environment)
	_, err = r.terraform(ctx, dir, log, false, "apply", "-input=false", "-no-color", "-auto-approve", "tfplan")
	return err
}

// preview computes a static plan preview from the change's commit: every
// resource block of the module a request file adds becomes a create, of one
// it deletes a delete (of one it edits an update). It is not a Terraform
// plan: count, for_each and data sources are not evaluated and nothing is
// compared with real infrastructure, and the summary says so (Preview).
func (r *Runner) preview(ctx context.Context, rec *runRecord, work string) (flow.PlanSummary, string, error) {
	sum := flow.PlanSummary{Preview: true}
	g := r.opts.Repo
	parent, err := g.parent(ctx, rec.HeadSHA)
	if err != nil {
		return sum, "", err
	}
	paths, err := g.changedPaths(ctx, parent, rec.HeadSHA)
	if err != nil {
		return sum, "", err
	}
	cat, _ := registry.Load(os.DirFS(filepath.Join(work, "modules")))
	root := "envs/" + rec.Environment + "/"
	for _, p := range paths {
		if !strings.HasPrefix(p, root) || !strings.HasSuffix(p, ".tf") {
			continue
		}
		after, inHead, err := g.ReadFile(ctx, rec.HeadSHA, p)
		if err != nil {
			return sum, "", err
		}
		before, inParent, err := g.ReadFile(ctx, parent, p)
		if err != nil {
			return sum, "", err
		}
		action, src := "create", after
		switch {
		case !inHead:
			action, src = "delete", before
		case inParent:
			action = "update"
		}
		changes, err := previewFile(cat, p, src, action)
		if err != nil {
			return sum, "", err
		}
		sum.Resources = append(sum.Resources, changes...)
	}
	for _, c := range sum.Resources {
		switch c.Action {
		case "create":
			sum.Create++
		case "update":
			sum.Update++
		case "delete":
			sum.Delete++
		}
	}
	return sum, previewText(rec, sum), nil
}

// previewFile lists the resources of each module block in a request file.
func previewFile(cat *registry.Catalog, name string, src []byte, action string) ([]flow.ResourceChange, error) {
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("preview %s: %w", name, diags)
	}
	var out []flow.ResourceChange
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "module" || len(b.Labels) != 1 {
			continue
		}
		attr, ok := b.Body.Attributes["source"]
		if !ok {
			return nil, fmt.Errorf("preview %s: module %s has no source", name, b.Labels[0])
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() || !v.Type().Equals(cty.String) || v.IsNull() {
			return nil, fmt.Errorf("preview %s: module %s: source is not a literal string", name, b.Labels[0])
		}
		modName := path.Base(v.AsString())
		var mod *registry.Module
		if cat != nil {
			mod, ok = cat.Module(modName)
		}
		if !ok || mod == nil {
			return nil, fmt.Errorf("preview %s: module %q is not in the catalogue", name, modName)
		}
		for _, res := range mod.Resources {
			out = append(out, flow.ResourceChange{Address: "module." + b.Labels[0] + "." + res.Type + "." + res.Name, Action: action})
		}
	}
	return out, nil
}

// previewText is the plan.txt of a preview, labelled so nobody mistakes it
// for Terraform output.
func previewText(rec *runRecord, sum flow.PlanSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PREVIEW: not a Terraform plan.\n")
	fmt.Fprintf(&b, "TfPilot listed the resource blocks of the modules this change adds or removes in envs/%s at %.12s.\n", rec.Environment, rec.HeadSHA)
	fmt.Fprintf(&b, "Terraform did not run: count, for_each and data sources are not evaluated and nothing was compared with real infrastructure.\n\n")
	marks := map[string]string{"create": "+", "update": "~", "delete": "-"}
	for _, c := range sum.Resources {
		fmt.Fprintf(&b, "  %s %s\n", marks[c.Action], c.Address)
	}
	fmt.Fprintf(&b, "\nPreview: %d to add, %d to change, %d to destroy.\n", sum.Create, sum.Update, sum.Delete)
	return b.String()
}

// terraformPlan runs init, plan and show in the environment root of the
// checkout. The root's backend is overridden with a local one whose state
// lives in the data folder, so plans and applies build on each other.
func (r *Runner) terraformPlan(ctx context.Context, rec *runRecord, work string, log *bytes.Buffer) (flow.PlanSummary, string, error) {
	dir := filepath.Join(work, "envs", rec.Environment)
	if _, err := os.Stat(dir); err != nil {
		return flow.PlanSummary{}, "", fmt.Errorf("plan: no environment root envs/%s", rec.Environment)
	}
	state := filepath.Join(r.opts.DataDir, "state", rec.Project, rec.Environment+".tfstate")
	if err := os.MkdirAll(filepath.Dir(state), 0o755); err != nil {
		return flow.PlanSummary{}, "", err
	}
	if err := os.WriteFile(filepath.Join(dir, backendOverrideFile), backendOverride(state), 0o644); err != nil {
		return flow.PlanSummary{}, "", err
	}
	for _, args := range PlanCommands() {
		if _, err := r.terraform(ctx, dir, log, false, args...); err != nil {
			return flow.PlanSummary{}, "", err
		}
	}
	planJSON, err := r.terraform(ctx, dir, log, true, "show", "-json", "tfplan")
	if err != nil {
		return flow.PlanSummary{}, "", err
	}
	if err := os.WriteFile(filepath.Join(r.runDir(rec.ID), "plan.json"), planJSON, 0o644); err != nil {
		return flow.PlanSummary{}, "", err
	}
	text, err := r.terraform(ctx, dir, log, true, "show", "-no-color", "tfplan")
	if err != nil {
		return flow.PlanSummary{}, "", err
	}
	sum, err := r.opts.Summarize(planJSON)
	if err != nil {
		return flow.PlanSummary{}, "", fmt.Errorf("plan: summarise: %w", err)
	}
	return sum, string(text), nil
}

// backendOverrideFile replaces the root's S3 backend in a run's checkout
// (Terraform merges *_override.tf files over the configuration).
const backendOverrideFile = "tfpilot_local_override.tf"

func backendOverride(statePath string) []byte {
	quoted := strings.ReplaceAll(strconv.Quote(filepath.ToSlash(statePath)), "${", "$${")
	return []byte("# Written by TfPilot's local runner: state stays on this machine.\nterraform {\n  backend \"local\" {\n    path = " + quoted + "\n  }\n}\n")
}

// PlanCommands are the terraform invocations of a local plan run, in order,
// before `show -json tfplan` (the same steps as plan.yml).
func PlanCommands() [][]string {
	return [][]string{
		{"init", "-input=false", "-no-color"},
		{"plan", "-input=false", "-no-color", "-lock-timeout=5m", "-out=tfplan"},
	}
}

// TerraformCommand builds (without running) a terraform command in dir with
// the runner's environment: no update checks, no prompts, and a CLI
// configuration file of its own (a provider cache under the data folder)
// rather than the user's.
func (r *Runner) TerraformCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.opts.Terraform, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"TF_CLI_CONFIG_FILE="+filepath.Join(r.opts.DataDir, "terraform.rc"),
	)
	return cmd
}

// terraform runs one command; its output goes to log, or is returned when
// capture is set (show).
func (r *Runner) terraform(ctx context.Context, dir string, log *bytes.Buffer, capture bool, args ...string) ([]byte, error) {
	if err := r.writeCLIConfig(); err != nil {
		return nil, err
	}
	cmd := r.TerraformCommand(ctx, dir, args...)
	stdout := &capped{limit: r.planLimit()}
	cmd.Stdout, cmd.Stderr = log, log
	if capture {
		cmd.Stdout = stdout
	}
	fmt.Fprintf(log, "$ terraform %s\n", strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("terraform %s exited with status %d", args[0], ee.ExitCode())
		}
		return nil, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	if stdout.over {
		return nil, tooLarge(args, stdout.limit)
	}
	return stdout.buf.Bytes(), nil
}

// writeCLIConfig writes the runner's terraform.rc once: a plugin cache in the
// data folder, so each run does not download the providers again.
func (r *Runner) writeCLIConfig() error {
	rc := filepath.Join(r.opts.DataDir, "terraform.rc")
	if _, err := os.Stat(rc); err == nil {
		return nil
	}
	cache := filepath.Join(r.opts.DataDir, "plugin-cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	quoted := strings.ReplaceAll(strconv.Quote(filepath.ToSlash(cache)), "${", "$${")
	return writeAtomically(rc, []byte("plugin_cache_dir = "+quoted+"\n"))
}
