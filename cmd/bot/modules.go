package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tfpilot/tfpilot/registry"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// newFlagSet returns a flag set that never exits; its usage (shown for -h)
// goes to env.stdout, since asking for it is not a mistake.
func newFlagSet(env *environ, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\nflags:\n", strings.TrimSpace("bot "+name+" "+synopsis))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses the flags of a command that takes no arguments; -h is a
// success, any other mistake is errUsage.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if help, err := parseOnly(fs, args); help || err != nil {
		return help, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return false, nil
}

// parseOnly parses args and prints the usage for -h only: on a mistake the
// flag package would print the error and then the whole usage, burying the
// error, so it is silenced and the error returned as errUsage for run to
// print with a pointer to -h.
func parseOnly(fs *flag.FlagSet, args []string) (help bool, err error) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err = fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return true, nil
	case err != nil:
		return false, fmt.Errorf("%w: %v", errUsage, err)
	}
	return false, nil
}

// runModules prints the module catalogue.
func runModules(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "modules", "[--modules DIR] [--json]")
	dir := fs.String("modules", "modules", "folder holding the module folders")
	asJSON := fs.Bool("json", false, "print stable, machine-readable JSON")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fsys, err := moduleFolder(*dir)
	if err != nil {
		return err
	}
	cat, loadErr := registry.Load(fsys)
	for _, d := range cat.Diagnostics {
		fmt.Fprintln(env.stderr, diagLine(*dir, d))
	}
	if len(cat.Modules) == 0 && loadErr == nil {
		return noModules(*dir)
	}
	if *asJSON {
		err = writeCatalogJSON(env.stdout, cat)
	} else {
		err = writeCatalogTable(env.stdout, cat)
	}
	if err != nil {
		return fmt.Errorf("write catalogue: %w", err)
	}
	if loadErr != nil {
		return exitError{code: 1}
	}
	return nil
}

// moduleHint says what --modules wants, for the errors that follow.
const moduleHint = "pass --modules DIR, a folder holding one folder per module, each with its .tf files " +
	"(variables.tf, main.tf, outputs.tf) and a README.md, like modules/s3-bucket at the repository root"

// moduleFolder opens the --modules folder dir. The registry sees only an
// fs.FS, whose root it calls ".", so a wrong path is reported here, by the
// name the user gave.
func moduleFolder(dir string) (fs.FS, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("module folder %s does not exist; %s", dir, moduleHint)
	case err != nil:
		return nil, fmt.Errorf("module folder: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("module folder %s is a file, not a folder; %s", dir, moduleHint)
	}
	return os.DirFS(dir), nil
}

// noModules is the error for a module folder with no module in it.
func noModules(dir string) error {
	return fmt.Errorf("module folder %s has no modules; %s", dir, moduleHint)
}

// diagLine is d as one line. A problem with the module folder itself (the
// registry's ".", such as having no modules) names it as the user gave it
// and says what it should hold.
func diagLine(dir string, d registry.Diagnostic) string {
	if d.File != "." {
		return d.Error()
	}
	d.File = dir
	return d.Error() + "; " + moduleHint
}

// catalogJSON is the stable JSON form of the catalogue: field names and order
// are a contract for scripts.
type catalogJSON struct {
	Modules []moduleJSON `json:"modules"`
}

type moduleJSON struct {
	Name          string       `json:"name"`
	Description   string       `json:"description"`
	Inputs        []inputJSON  `json:"inputs"`
	Outputs       []outputJSON `json:"outputs"`
	ResourceTypes []string     `json:"resource_types"`
}

type inputJSON struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Required    bool            `json:"required"`
	Default     json.RawMessage `json:"default"`
	Description string          `json:"description"`
	Sensitive   bool            `json:"sensitive"`
	System      bool            `json:"system"`
	Options     []string        `json:"options"`
}

type outputJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Sensitive   bool   `json:"sensitive"`
}

func writeCatalogJSON(w io.Writer, cat *registry.Catalog) error {
	out := catalogJSON{Modules: []moduleJSON{}}
	for _, m := range cat.Modules {
		mj := moduleJSON{
			Name: m.Name, Description: m.Description,
			Inputs: []inputJSON{}, Outputs: []outputJSON{}, ResourceTypes: m.ResourceTypes,
		}
		if mj.ResourceTypes == nil {
			mj.ResourceTypes = []string{}
		}
		for _, in := range m.Inputs {
			mj.Inputs = append(mj.Inputs, inputJSON{
				Name: in.Name, Type: in.TypeExpr, Required: in.Required,
				Default: defaultJSON(in), Description: in.Description,
				Sensitive: in.Sensitive, System: in.System, Options: in.Options,
			})
		}
		for _, o := range m.Outputs {
			mj.Outputs = append(mj.Outputs, outputJSON{Name: o.Name, Description: o.Description, Sensitive: o.Sensitive})
		}
		out.Modules = append(out.Modules, mj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// defaultJSON is the default as JSON; null when there is none or the input is
// sensitive (a sensitive default is not for display).
func defaultJSON(in *registry.Input) json.RawMessage {
	if !in.HasDefault || in.Sensitive || in.Default.IsNull() {
		return json.RawMessage("null")
	}
	b, err := ctyjson.Marshal(in.Default, in.Default.Type())
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func writeCatalogTable(w io.Writer, cat *registry.Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, m := range cat.Modules {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s\t%s\n", m.Name, m.Description)
		fmt.Fprintln(tw, "  INPUT\tTYPE\tREQUIRED\tDEFAULT\tDESCRIPTION")
		for _, in := range m.UserInputs() {
			req := "no"
			if in.Required {
				req = "yes"
			}
			def := "-"
			if in.HasDefault {
				def = string(defaultJSON(in))
				if in.Sensitive {
					def = "(sensitive)"
				}
			}
			desc := in.Description
			if in.Options != nil {
				desc += " [" + strings.Join(in.Options, ", ") + "]"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", in.Name, oneLine(in.TypeExpr), req, def, desc)
		}
		if len(m.Outputs) > 0 {
			names := make([]string, len(m.Outputs))
			for i, o := range m.Outputs {
				names[i] = o.Name
			}
			fmt.Fprintf(tw, "  outputs: %s\n", strings.Join(names, ", "))
		}
	}
	if len(cat.Modules) > 0 {
		fmt.Fprintf(tw, "\n(project, environment and request_id are set by TfPilot)\n")
	}
	return tw.Flush()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
