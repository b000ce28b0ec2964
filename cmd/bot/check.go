package main

import (
	"context"
	"fmt"

	"github.com/tfpilot/tfpilot/registry"
)

// runCheck is the drift guard CI runs: one line per convention problem
// ("module/file:line: problem") and exit 1 when there is any.
func runCheck(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "check", "[--modules DIR]")
	dir := fs.String("modules", "modules", "folder holding the module folders")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fsys, err := moduleFolder(*dir)
	if err != nil {
		return err
	}
	problems := registry.Check(fsys)
	for _, p := range problems {
		fmt.Fprintln(env.stderr, diagLine(*dir, p))
	}
	if len(problems) > 0 {
		fmt.Fprintf(env.stderr, "%d problem(s) in %s\n", len(problems), *dir)
		return exitError{code: 1}
	}
	fmt.Fprintf(env.stdout, "%s: all modules follow the conventions\n", *dir)
	return nil
}
