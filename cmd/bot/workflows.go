package main

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The contract of an environment repository's plan.yml and apply.yml
// (README "Setting up GitHub"), as `bot doctor` checks it on the base
// branch: the dispatch inputs TfPilot sends, the concurrency group shared
// by both, and apply.yml's check-apply.sh step before anything that reads
// the plan or assumes the apply role.

const (
	planWorkflow     = ".github/workflows/plan.yml"
	applyWorkflow    = ".github/workflows/apply.yml"
	checkApplyScript = ".github/scripts/check-apply.sh"
	concurrencyGroup = "tfpilot-${{ inputs.environment }}"
)

type workflowStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
}

type workflowJob struct {
	Environment yaml.Node      `yaml:"environment"`
	Steps       []workflowStep `yaml:"steps"`
}

type workflowFile struct {
	On struct {
		Dispatch *struct {
			Inputs map[string]struct {
				Required bool `yaml:"required"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Concurrency yaml.Node              `yaml:"concurrency"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

// environmentName is a job's environment, written as a string or as
// {name: …}.
func (j workflowJob) environmentName() string {
	if j.Environment.Kind == yaml.MappingNode {
		var e struct {
			Name string `yaml:"name"`
		}
		_ = j.Environment.Decode(&e)
		return e.Name
	}
	return j.Environment.Value
}

// checkWorkflow checks workflow file path (content nil: missing) against
// the contract: its dispatch inputs, concurrency, and, for apply.yml, the
// check-apply step.
func checkWorkflow(path string, content []byte, inputs []string, env string) []problem {
	fix := "copy " + path + " from TfPilot's repository (it holds the contract) and merge it through a pull request"
	if content == nil {
		return []problem{{"the base branch has no " + path, fix}}
	}
	var wf workflowFile
	if err := yaml.Unmarshal(content, &wf); err != nil {
		return []problem{{fmt.Sprintf("%s is not valid YAML: %v", path, err), fix}}
	}
	var out []problem
	bad := func(format string, args ...any) {
		out = append(out, problem{path + ": " + fmt.Sprintf(format, args...), fix})
	}
	if wf.On.Dispatch == nil {
		bad("it does not run on workflow_dispatch")
	} else {
		for _, in := range inputs {
			if _, ok := wf.On.Dispatch.Inputs[in]; !ok {
				bad("no workflow_dispatch input %s: GitHub refuses TfPilot's dispatch", in)
			}
		}
	}
	out = append(out, checkConcurrency(path, wf.Concurrency, fix)...)
	var job *workflowJob
	for name := range wf.Jobs {
		if j := wf.Jobs[name]; j.environmentName() == env {
			job = &j
		}
	}
	if job == nil {
		bad("no job runs in environment %s", env)
		return out
	}
	if path == applyWorkflow {
		out = append(out, checkApplyStep(*job, fix)...)
	}
	return out
}

func checkConcurrency(path string, n yaml.Node, fix string) []problem {
	var c struct {
		Group            string `yaml:"group"`
		CancelInProgress *bool  `yaml:"cancel-in-progress"`
		Queue            string `yaml:"queue"`
	}
	if n.Kind == yaml.MappingNode {
		_ = n.Decode(&c)
	} else {
		c.Group = n.Value
	}
	var out []problem
	if c.Group != concurrencyGroup {
		out = append(out, problem{fmt.Sprintf("%s: concurrency group is %q, want %q: a plan could run while an apply changes the same state", path, c.Group, concurrencyGroup), fix})
	}
	if c.CancelInProgress == nil || *c.CancelInProgress {
		out = append(out, problem{path + ": concurrency needs cancel-in-progress: false, or a running apply may be cancelled half-way", fix})
	}
	if c.Queue != "" && c.Queue != "max" && c.Queue != "single" {
		out = append(out, problem{fmt.Sprintf("%s: concurrency queue %q is neither max nor single", path, c.Queue), fix})
	}
	return out
}

// checkApplyStep checks that the apply job runs check-apply.sh, with the
// TFPILOT_ACTOR_ID variable, before it downloads a plan, assumes a role or
// runs Terraform.
func checkApplyStep(job workflowJob, fix string) []problem {
	risky := []string{"actions/download-artifact", "aws-actions/configure-aws-credentials", "hashicorp/setup-terraform"}
	for _, s := range job.Steps {
		if strings.Contains(s.Run, checkApplyScript) {
			if s.Env[actorIDVar] != "${{ vars."+actorIDVar+" }}" {
				return []problem{{applyWorkflow + ": the check-apply step does not pass " + actorIDVar + ": ${{ vars." + actorIDVar + " }}", fix}}
			}
			return nil
		}
		uses, _, _ := strings.Cut(s.Uses, "@")
		if slices.Contains(risky, uses) || strings.Contains(s.Run, "terraform ") {
			return []problem{{fmt.Sprintf("%s: step %q runs before %s: a plan TfPilot did not approve reaches it", applyWorkflow, s.Name, checkApplyScript), fix}}
		}
	}
	return []problem{{applyWorkflow + " does not run " + checkApplyScript + ": anyone who can dispatch it applies any plan run", fix}}
}
