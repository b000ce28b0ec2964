package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/policy"
	"github.com/tfpilot/tfpilot/registry"
)

// runCheck is the drift guard CI runs: one line per convention problem
// ("module/file:line: problem") and exit 1 when there is any. With
// --policy it checks a policy file instead (runCheckPolicy).
func runCheck(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "check", "[--modules DIR] [--policy POLICY]")
	dir := fs.String("modules", "modules", "folder holding the module folders")
	pol := fs.String("policy", "", "check this policy file instead: as bot serve would load it, with its environment names against the modules in --modules, and print who may do what")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *pol != "" {
		return runCheckPolicy(ctx, env, *pol, *dir, flagSet(fs, "modules"))
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

// runCheckPolicy validates a policy file as start-up does, checks its
// environment names against the modules in dir (every project is checked
// against that one folder; bot serve reads each project's own), prints its
// warnings and who may do what in each environment. A missing modules
// folder is an error only when --modules was given.
func runCheckPolicy(ctx context.Context, env *environ, path, dir string, dirGiven bool) error {
	f, err := policy.Read(path)
	if err != nil {
		return err
	}
	fsys, err := moduleFolder(dir)
	switch {
	case err == nil:
		cat, lerr := registry.Load(fsys)
		if cat == nil || len(cat.Modules) == 0 {
			return errors.Join(noModules(dir), lerr)
		}
		if _, err := checkCatalogs(ctx, f, oneCatalog{cat}); err != nil {
			return err
		}
	case dirGiven:
		return err
	default:
		if _, serr := os.Stat(dir); !errors.Is(serr, fs.ErrNotExist) {
			return err
		}
		fmt.Fprintf(env.stderr, "note: no %s folder here, so environment names were not checked against the modules; pass --modules DIR\n", dir)
	}
	fmt.Fprintf(env.stdout, "%s: valid\n\n", path)
	describePolicy(env.stdout, f.Policy)
	if ws := policy.Warnings(f.Policy); len(ws) > 0 {
		fmt.Fprintln(env.stdout)
		for _, w := range ws {
			fmt.Fprintln(env.stdout, "warning: "+w)
		}
	}
	return nil
}

// oneCatalog serves one catalogue for every project.
type oneCatalog struct{ cat *registry.Catalog }

func (o oneCatalog) Catalog(context.Context, string) (*registry.Catalog, error) { return o.cat, nil }

var _ flow.Catalogs = oneCatalog{}

// flagSet reports whether the flag called name was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
