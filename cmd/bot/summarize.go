package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/tfpilot/tfpilot/infra/tfplan"
)

// runSummarize prints the summary TfPilot shows for a plan, for operators and
// scripts: `bot summarize PLAN.json [--json] [--max N]`.
func runSummarize(_ context.Context, env *environ, args []string) error {
	fs := flag.NewFlagSet("summarize", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	asJSON := fs.Bool("json", false, "print machine-readable JSON: counts per action, addresses, drift, errored")
	limit := fs.Int("max", 20, "addresses to list before '…and N more' (-1: all)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bot summarize [--json] [--max N] PLAN.json\n\nPLAN.json is the output of `terraform show -json PLANFILE`.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorderFlags(args)); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("read plan: %w", err)
	}
	s, err := tfplan.Summarize(data)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if *asJSON {
		out := struct {
			Counts    map[string]int `json:"counts"`
			Addresses any            `json:"addresses"`
			Drift     any            `json:"drift"`
			Errored   bool           `json:"errored"`
		}{
			Counts: map[string]int{
				"create": s.Create, "update": s.Update, "replace": s.Replace,
				"delete": s.Delete, "read": s.Read, "forget": s.Forget, "no-op": s.NoOp,
			},
			Addresses: nonNil(s.Resources),
			Drift:     nonNil(s.Drift),
			Errored:   s.Errored,
		}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprint(env.stdout, tfplan.Text(s, *limit))
	return nil
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
