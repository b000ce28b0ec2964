package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/tfplan"
)

// summarizeErrored is the exit status of a plan that ERRORED, so a script
// can tell it from a file that is not a plan (1) and a usage mistake (2).
const summarizeErrored = 3

// runSummarize prints the summary TfPilot shows for a plan, for operators and
// scripts: `bot summarize [--json] [--max N] PLAN.json|-`.
func runSummarize(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "summarize", "[--json] [--max N] PLAN.json")
	asJSON := fs.Bool("json", false, "print machine-readable JSON: counts per action, addresses, drift, errored")
	limit := fs.Int("max", 20, "addresses to list before '…and N more' (-1: all)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: bot summarize [--json] [--max N] PLAN.json

PLAN.json is the output of `+"`terraform show -json PLANFILE`"+`; - reads it from standard input.

exit status:
  0  the plan is summarised
  1  the file cannot be read or is not a Terraform plan
  2  a usage mistake
  %d  the plan ERRORED (Terraform reported errors; it cannot be applied); the summary is printed

flags:
`, summarizeErrored)
		fs.PrintDefaults()
	}
	if help, err := parseOnly(fs, reorderFlags(args)); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one plan file (PLAN.json, or - for standard input), got %d arguments", errUsage, fs.NArg())
	}
	name := fs.Arg(0)
	var data []byte
	var err error
	if name == "-" {
		name = "standard input"
		data, err = io.ReadAll(env.stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read plan: %w", err)
	}
	s, err := tfplan.Summarize(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := writeSummary(env.stdout, s, *asJSON, *limit); err != nil {
		return err
	}
	if s.Errored {
		return exitError{code: summarizeErrored}
	}
	return nil
}

// writeSummary prints s as text or, with asJSON, as the stable JSON form.
func writeSummary(w io.Writer, s flow.PlanSummary, asJSON bool, limit int) error {
	if asJSON {
		out := struct {
			Counts    map[string]int `json:"counts"`
			Addresses any            `json:"addresses"`
			Drift     any            `json:"drift"`
			Errored   bool           `json:"errored"`
		}{
			Counts: map[string]int{
				"create": s.Create, "update": s.Update, "replace": s.Replace,
				"delete": s.Delete, "read": s.Read, "forget": s.Forget, "import": s.Import, "no-op": s.NoOp,
				"unknown": s.Unknown,
			},
			Addresses: nonNil(s.Resources),
			Drift:     nonNil(s.Drift),
			Errored:   s.Errored,
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	_, err := fmt.Fprint(w, tfplan.Text(s, limit))
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// reorderFlags moves flags after positional arguments to the front, so
// `bot summarize plan.json --json` works as people type it.
func reorderFlags(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			if (a == "--max" || a == "-max") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}
