package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tfpilot/tfpilot/registry"
)

// setFlags collects repeated --set key=value flags in order.
type setFlags []string

func (s *setFlags) String() string { return strings.Join(*s, " ") }

func (s *setFlags) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	*s = append(*s, v)
	return nil
}

// runRender renders a request into its environment root; with --write it
// also writes the file, never over an existing one.
func runRender(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "render", "--module M --env E --project P [--request-id UUID] [--requester R] --set k=v ... [--root DIR] [--write]")
	module := fs.String("module", "", "module name (see bot modules)")
	envName := fs.String("env", "", "environment: a folder envs/<env> under --root")
	project := fs.String("project", "", "project the resources belong to")
	requestID := fs.String("request-id", "", "request ID (default: a new UUIDv7)")
	requester := fs.String("requester", "", "who asked for it, written in the header")
	createdAt := fs.String("created-at", "", "creation time, RFC 3339 (default: now)")
	root := fs.String("root", ".", "repository root holding modules/ and envs/")
	write := fs.Bool("write", false, "write the file (refuses to overwrite)")
	var sets setFlags
	fs.Var(&sets, "set", "input as key=value (repeatable)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"module", *module}, {"env", *envName}, {"project", *project}} {
		if f.v == "" {
			return fmt.Errorf("%w: --%s is required", errUsage, f.name)
		}
	}
	when := time.Now().UTC().Truncate(time.Second)
	if *createdAt != "" {
		t, err := time.Parse(time.RFC3339, *createdAt)
		if err != nil {
			return fmt.Errorf("%w: --created-at: want RFC 3339 like 2025-01-02T15:04:05Z", errUsage)
		}
		when = t
	}
	if *requestID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("new request ID: %w", err)
		}
		*requestID = id.String()
	}

	problems := func(lines ...string) error {
		for _, l := range lines {
			fmt.Fprintln(env.stderr, l)
		}
		return exitError{code: 1}
	}
	if err := registry.ValidateTarget(*project, *envName); err != nil {
		return problems(lines(err)...)
	}
	envDir := filepath.Join(*root, "envs", *envName)
	entries, err := os.ReadDir(envDir)
	if err != nil {
		return problems(fmt.Sprintf("environment: %s is not an environment root (%s does not exist)", *envName, envDir))
	}
	existing := make([]string, 0, len(entries))
	for _, e := range entries {
		existing = append(existing, e.Name())
	}

	modulesDir := filepath.Join(*root, "modules")
	cat, _ := registry.Load(os.DirFS(modulesDir))
	m, ok := cat.Module(*module)
	if !ok {
		var names []string
		for _, m := range cat.Modules {
			names = append(names, m.Name)
		}
		msg := fmt.Sprintf("module: unknown module %q; modules are: %s", *module, strings.Join(names, ", "))
		if len(names) == 0 {
			msg = fmt.Sprintf("module: %s has no modules; --root must be the repository root holding modules/ and envs/", modulesDir)
		}
		for _, d := range cat.Diagnostics {
			if d.Module == *module {
				msg = fmt.Sprintf("module: %q does not load: %s", *module, d.Error())
				break
			}
		}
		return problems(msg)
	}

	raw := make(map[string]string, len(sets))
	var dup []string
	for _, s := range sets {
		k, v, _ := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if _, seen := raw[k]; seen {
			dup = append(dup, k+": is given twice")
		}
		raw[k] = v
	}
	if len(dup) > 0 {
		return problems(dup...)
	}
	file, err := registry.Render(m, registry.RenderSpec{
		RequestID: *requestID, Project: *project, Environment: *envName, Requester: *requester,
		CreatedAt: when, Values: raw, ExistingFiles: existing,
	})
	if err != nil {
		return problems(lines(err)...)
	}
	fmt.Fprintf(env.stdout, "%s\n\n%s", file.Path, file.Content)
	if !*write {
		return nil
	}
	if err := writeNew(filepath.Join(*root, filepath.FromSlash(file.Path)), file.Content); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "wrote %s\n", file.Path)
	return nil
}

// lines turns InputErrors into "field: reason" lines and anything else into one line.
func lines(err error) []string {
	var ie registry.InputErrors
	if errors.As(err, &ie) {
		out := make([]string, len(ie))
		for i, e := range ie {
			out[i] = e.Error()
		}
		return out
	}
	return []string{err.Error()}
}

// writeNew writes content to path atomically and only if path does not exist:
// the bytes go to a temporary file in the same folder, which is then linked
// into place (link fails if the name is taken, unlike rename).
func writeNew(path string, content []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tfpilot-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting it", path)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

var _ flag.Value = (*setFlags)(nil)
