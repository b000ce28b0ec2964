package command

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Verb is what a command asks for.
type Verb int

// Command verbs. VerbStart is the bare command: start a request interactively.
const (
	VerbStart Verb = iota + 1
	VerbNew
	VerbList
	VerbStatus
	VerbApprove
	VerbReject
	VerbApply
	VerbReplan
	VerbCancel
	VerbDestroy
	VerbModules
	VerbHelp
)

var verbNames = map[Verb]string{
	VerbStart: "start", VerbNew: "new", VerbList: "list", VerbStatus: "status", VerbApprove: "approve",
	VerbReject: "reject", VerbApply: "apply", VerbReplan: "replan", VerbCancel: "cancel",
	VerbDestroy: "destroy", VerbModules: "modules", VerbHelp: "help",
}

func (v Verb) String() string {
	if n, ok := verbNames[v]; ok {
		return n
	}
	return "unknown"
}

// Command is one parsed command line.
type Command struct {
	Verb Verb
	// ID is the request reference (full ID or short label) of status,
	// approve, reject, apply, replan, cancel and destroy.
	ID string
	// Module, Environment, Project and Inputs are set by new; Project also by
	// modules.
	Module, Environment, Project string
	Inputs                       map[string]string
	// All is set by "list all" (default: the caller's own requests).
	All bool
	// Ack is set by "approve <id> ack": the approval acknowledges the
	// plan's findings that need it (flow.NeedsAck).
	Ack bool
}

// Usage lists every command form with a one-line explanation, in the order
// help shows them. The console prints them without the leading slash.
var Usage = [][2]string{
	{"/tfpilot", "start a request: choose project, module and environment, then fill in a form"},
	{"/tfpilot new <module> [env=<env>] [project=<project>] [key=value …]", "start a request with the module (and inputs) given"},
	{"/tfpilot list [mine|all]", "list your open requests, or every request in any state"},
	{"/tfpilot status <id>", "show a request's status card"},
	{"/tfpilot approve <id> [ack]", "approve a request's current plan (ack: and acknowledge its changes outside the request)"},
	{"/tfpilot reject <id>", "reject a request's current plan"},
	{"/tfpilot apply <id>", "apply an approved plan"},
	{"/tfpilot replan <id>", "plan again on the current branch"},
	{"/tfpilot cancel <id>", "cancel a request and close its pull request"},
	{"/tfpilot destroy <id>", "request destruction of what an applied request created"},
	{"/tfpilot modules [project]", "list the modules you can request and their inputs"},
	{"/tfpilot help", "show this help"},
}

// Help is the help text: one line per command.
func Help() string {
	var b strings.Builder
	b.WriteString("TfPilot turns requests into reviewed Terraform pull requests.\n")
	for _, u := range Usage {
		fmt.Fprintf(&b, "%s — %s\n", u[0], u[1])
	}
	b.WriteString("In a request's thread, reply key=value (several per message) to set inputs.")
	return b.String()
}

// UsageError is bad command usage; its text says what is wrong, and the
// caller shows it with [Help].
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Parse parses the text after the command name ("new s3-bucket env=dev
// name=logs"). The empty text is VerbStart. Bad usage is a *UsageError.
func Parse(text string) (Command, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Command{Verb: VerbStart}, nil
	}
	verb, rest := cut(text)
	switch strings.ToLower(verb) {
	case "help", "-h", "--help", "?":
		return Command{Verb: VerbHelp}, nil
	case "new", "create", "request":
		return parseNew(rest)
	case "list", "ls":
		return parseList(rest)
	case "modules", "catalog", "catalogue":
		p, extra := cut(rest)
		if extra != "" {
			return Command{}, usagef("modules takes at most a project name")
		}
		return Command{Verb: VerbModules, Project: p}, nil
	}
	for v, name := range verbNames {
		if strings.EqualFold(verb, name) && v >= VerbStatus && v <= VerbDestroy {
			id, extra := cut(rest)
			ack := v == VerbApprove && strings.EqualFold(extra, "ack")
			if ack {
				extra = ""
			}
			if id == "" {
				return Command{}, usagef("%s needs a request ID, e.g. /tfpilot %s 0a1b2c3d4e5f", name, name)
			}
			if extra != "" {
				return Command{}, usagef("%s takes one request ID, not %q", name, Clip(rest, 40))
			}
			if len(id) > maxID {
				return Command{}, usagef("%q is not a request ID; an ID looks like 0a1b2c3d4e5f (/tfpilot list shows them)", Clip(id, 40))
			}
			return Command{Verb: v, ID: id, Ack: ack}, nil
		}
	}
	return Command{}, usagef("unknown command %q", Clip(verb, 40))
}

func parseList(rest string) (Command, error) {
	switch strings.ToLower(strings.TrimSpace(rest)) {
	case "", "mine", "my":
		return Command{Verb: VerbList}, nil
	case "all":
		return Command{Verb: VerbList, All: true}, nil
	}
	return Command{}, usagef("list takes mine or all, not %q", Clip(rest, 40))
}

func parseNew(rest string) (Command, error) {
	module, rest := cut(rest)
	if module == "" {
		return Command{}, usagef("new needs a module name; /tfpilot modules lists them")
	}
	if strings.ContainsAny(module, "=\"'") {
		return Command{}, usagef("new needs a module name first, before key=value inputs")
	}
	c := Command{Verb: VerbNew, Module: module}
	if rest == "" {
		return c, nil
	}
	kv, err := ParseAssignments(rest)
	if err != nil {
		return Command{}, &UsageError{Msg: err.Error()}
	}
	// env=dev environment=prod (or ENV=dev env=prod) names one setting
	// twice; taking either would leave the environment to map order.
	givenAs := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		v := kv[k]
		setting := strings.ToLower(k)
		if setting == "environment" {
			setting = "env"
		}
		if setting == "env" || setting == "project" {
			if prev, dup := givenAs[setting]; dup {
				return Command{}, usagef("%s is given twice (as %s and %s); give it once", setting, prev, k)
			}
			givenAs[setting] = k
		}
		switch setting {
		case "env":
			c.Environment = v
		case "project":
			c.Project = v
		default:
			if c.Inputs == nil {
				c.Inputs = map[string]string{}
			}
			c.Inputs[k] = v
		}
	}
	return c, nil
}

// maxID bounds a request reference: a UUID has 36 characters.
const maxID = 64

// cut splits off the first whitespace-separated word.
func cut(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, isSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// Clip shortens s to n runes for quoting it back in an error.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
