package tfcheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// applyWiring is how apply.yml runs check-apply.sh: what TestCheckApply
// proves of the script holds only if the workflow runs it, with these
// values, before anything reads the plan or assumes the apply role.
type applyWiring struct {
	PlanRunAttemptInput *bool  // required
	Environment         string // of the apply job, whose variables the check reads
	Check               string // the step's run
	WorkingDirectory    string
	Env                 map[string]string // the step's environment for the script's variables
	StepsBefore         []string          // steps that run before the check
}

func applyWiringOf(t *testing.T, data []byte) applyWiring {
	t.Helper()
	type step struct {
		Name             string            `yaml:"name"`
		Uses             string            `yaml:"uses"`
		Run              string            `yaml:"run"`
		WorkingDirectory string            `yaml:"working-directory"`
		Env              map[string]string `yaml:"env"`
	}
	var wf struct {
		On struct {
			Dispatch struct {
				Inputs map[string]struct {
					Required *bool `yaml:"required"`
				} `yaml:"inputs"`
			} `yaml:"workflow_dispatch"`
		} `yaml:"on"`
		Jobs map[string]struct {
			Environment string            `yaml:"environment"`
			Env         map[string]string `yaml:"env"`
			Steps       []step            `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("parse apply.yml: %v", err)
	}
	job := wf.Jobs["apply"]
	got := applyWiring{PlanRunAttemptInput: wf.On.Dispatch.Inputs["plan_run_attempt"].Required, Environment: job.Environment,
		Env: map[string]string{}}
	i := slices.IndexFunc(job.Steps, func(s step) bool { return strings.Contains(s.Run, checkApplyScript) })
	if i < 0 {
		return got
	}
	s := job.Steps[i]
	got.Check, got.WorkingDirectory = s.Run, s.WorkingDirectory
	for _, name := range []string{"REPOSITORY", "RUN_ID", "TF_ENV", "REQUEST_ID", "PLAN_RUN_ID", "PLAN_RUN_ATTEMPT", "TFPILOT_ACTOR_ID", "GH_TOKEN"} {
		if v, ok := s.Env[name]; ok {
			got.Env[name] = v
		} else if v, ok := job.Env[name]; ok {
			got.Env[name] = v
		}
	}
	for _, b := range job.Steps[:i] {
		got.StepsBefore = append(got.StepsBefore, b.Name+" "+b.Uses)
	}
	return got
}

func TestApplyWorkflowRunsTheCheckFirst(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", "apply.yml"))
	if err != nil {
		t.Fatal(err)
	}
	required := true
	want := applyWiring{
		PlanRunAttemptInput: &required,
		Environment:         "${{ inputs.environment }}-apply",
		Check:               "bash " + checkApplyScript,
		WorkingDirectory:    ".",
		Env: map[string]string{
			"REPOSITORY":       "${{ github.repository }}",
			"RUN_ID":           "${{ github.run_id }}",
			"TF_ENV":           "${{ inputs.environment }}",
			"REQUEST_ID":       "${{ inputs.request_id }}",
			"PLAN_RUN_ID":      "${{ inputs.plan_run_id }}",
			"PLAN_RUN_ATTEMPT": "${{ inputs.plan_run_attempt }}",
			"TFPILOT_ACTOR_ID": "${{ vars.TFPILOT_ACTOR_ID }}",
			"GH_TOKEN":         "${{ github.token }}",
		},
		// Only the checkout, which the script comes from: no plan download,
		// no AWS credentials, no terraform before the check.
		StepsBefore: []string{"Check out the request's commit actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"},
	}
	if diff := cmp.Diff(want, applyWiringOf(t, data)); diff != "" {
		t.Errorf("apply.yml's check-apply step (-want +got):\n%s", diff)
	}
}
