package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tfpilot/tfpilot/registry"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// newFlagSet returns a flag set that reports to env.stderr and never exits.
func newFlagSet(env *environ, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: bot %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; -h is a success, any other mistake is errUsage (the
// flag package has already printed the problem and the usage).
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return true, nil
		}
		return false, errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return false, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
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
	cat, loadErr := registry.Load(os.DirFS(*dir))
	for _, d := range cat.Diagnostics {
		fmt.Fprintln(env.stderr, d.Error())
	}
	var err error
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
