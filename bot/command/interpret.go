package command

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Reader is what interpreting a command reads of the engine. The engine
// (flow.Engine) satisfies it; the interpreter never changes anything.
type Reader interface {
	Policy() flow.Policy
	Find(ctx context.Context, ref string) (*flow.Request, error)
	List(ctx context.Context, f flow.Filter) ([]*flow.Request, error)
	Catalog(ctx context.Context, project string) (*registry.Catalog, error)
}

// Do is what a command asks its surface to do.
type Do int

// What commands ask for.
const (
	DoHelp    Do = iota + 1 // show Help
	DoOpen                  // Engine.Open(Intent.Event): start a request
	DoHandle                // Engine.Handle(Intent.Request.ID, Intent.Event)
	DoList                  // show Intent.Requests under Intent.Title
	DoStatus                // show Intent.Request's card
	DoModules               // show Intent.Catalog of Intent.Project
)

// Intent is a command interpreted for one person: what the surface does,
// with the event to send already built (the surface adds its own Key,
// Thread and TriggerID).
type Intent struct {
	Do Do
	// Event is the event of DoOpen and DoHandle, with Kind, Actor and what
	// the command presets (project, module, environment, inputs, target).
	Event flow.Event
	// Request is the request a reference named (DoHandle, DoStatus).
	Request *flow.Request
	// Taken, when set, says which request a reference that was not its ID
	// or label was taken as ("last is request 0a1b2c3d4e5f."): surfaces
	// show it before the result.
	Taken string
	// Title and Requests are DoList's.
	Title    string
	Requests []*flow.Request
	// Project and Catalog are DoModules'.
	Project string
	Catalog *registry.Catalog
}

// verbEvents are the commands that send a request a person's event.
var verbEvents = map[Verb]flow.EventKind{
	VerbApprove: flow.EvApprove, VerbReject: flow.EvReject, VerbApply: flow.EvApply,
	VerbReplan: flow.EvReplan, VerbCancel: flow.EvCancel,
}

// Interpret decides what command c, typed by actor, asks for: the one
// interpreter of Slack and the terminal alike. It resolves request
// references (ID, label, the start of one, last, last-N), infers the
// project and environment where only one fits, and explains mistakes with
// the name most likely meant. Refusals are *flow.UserError; errors reading
// the engine are returned as they are.
func Interpret(ctx context.Context, rd Reader, c Command, actor flow.Actor) (Intent, error) {
	ev := flow.Event{Actor: actor}
	switch c.Verb {
	case VerbHelp:
		return Intent{Do: DoHelp}, nil
	case VerbStart:
		ev.Kind, ev.Project = flow.EvStart, c.Project
		return Intent{Do: DoOpen, Event: ev}, nil
	case VerbNew:
		return interpretNew(ctx, rd, c, actor)
	case VerbList:
		return interpretList(ctx, rd, c, actor)
	case VerbModules:
		project, err := projectFor(rd.Policy(), c.Project, "/tfpilot modules <project>")
		if err != nil {
			return Intent{}, err
		}
		cat, err := rd.Catalog(ctx, project)
		if err != nil {
			return Intent{}, err
		}
		return Intent{Do: DoModules, Project: project, Catalog: cat}, nil
	}
	r, taken, err := resolve(ctx, rd, c.ID)
	if err != nil {
		return Intent{}, err
	}
	in := Intent{Request: r, Taken: taken}
	switch c.Verb {
	case VerbStatus:
		in.Do = DoStatus
	case VerbDestroy:
		ev.Kind, ev.Target = flow.EvStartDestroy, r.ID
		in.Do, in.Event = DoOpen, ev
	default:
		kind, ok := verbEvents[c.Verb]
		if !ok {
			return Intent{}, &UsageError{Msg: fmt.Sprintf("unknown command %q", c.Verb)}
		}
		ev.Kind = kind
		if c.Ack {
			ev.Accepts = flow.NeedsAck(r)
		}
		in.Do, in.Event = DoHandle, ev
	}
	return in, nil
}

// interpretList lists the actor's open requests, or everyone's requests in
// any state ("list all": what was applied is what one destroys).
func interpretList(ctx context.Context, rd Reader, c Command, actor flow.Actor) (Intent, error) {
	if c.All {
		rs, err := rd.List(ctx, flow.Filter{})
		return Intent{Do: DoList, Title: "All requests", Requests: rs}, err
	}
	rs, err := rd.List(ctx, flow.Filter{Requester: actor.ID})
	rs = slices.DeleteFunc(rs, func(r *flow.Request) bool { return r.State.Terminal() })
	return Intent{Do: DoList, Title: "Your open requests", Requests: rs}, err
}

// interpretNew checks what /tfpilot new names before anything is created:
// the project, the module (with the catalogue and the closest name when it
// is unknown) and the environment (inferred when the actor may request the
// module in exactly one; otherwise the ones they may, with an example).
func interpretNew(ctx context.Context, rd Reader, c Command, actor flow.Actor) (Intent, error) {
	pol := rd.Policy()
	project, err := projectFor(pol, c.Project, "/tfpilot new "+c.Module+" project=<project>")
	if err != nil {
		return Intent{}, err
	}
	cat, err := rd.Catalog(ctx, project)
	if err != nil {
		return Intent{}, err
	}
	if _, ok := cat.Module(c.Module); !ok {
		names := make([]string, 0, len(cat.Modules))
		for _, m := range cat.Modules {
			names = append(names, m.Name)
		}
		return Intent{}, flow.Userf(flow.ErrBadEvent, fmt.Sprintf("there is no module %q in %s%s; the modules are %s (/tfpilot modules describes them)",
			Clip(c.Module, 60), project, didYouMean(registry.Closest(c.Module, names)), orNone(names)))
	}
	env, err := environmentFor(pol, c, actor)
	if err != nil {
		return Intent{}, err
	}
	ev := flow.Event{Kind: flow.EvStart, Actor: actor, Project: project, Module: c.Module, Environment: env, Inputs: c.Inputs}
	return Intent{Do: DoOpen, Event: ev}, nil
}

// environmentFor is the environment of /tfpilot new: the one named, or the
// only one the actor may request the module in.
func environmentFor(pol flow.Policy, c Command, actor flow.Actor) (string, error) {
	var envs []string
	for _, e := range pol.RequestableEnvironments(actor) {
		if pol.ModuleAllowed(e, c.Module) {
			envs = append(envs, e)
		}
	}
	if c.Environment == "" {
		switch len(envs) {
		case 0:
			return "", flow.Userf(flow.ErrDenied, fmt.Sprintf("you may not request %s in any environment; ask a platform admin", Clip(c.Module, 60)))
		case 1:
			return envs[0], nil
		}
		return "", flow.Userf(flow.ErrBadEvent, fmt.Sprintf("which environment? add env=<environment>, one of %s, e.g. /tfpilot new %s env=%s",
			strings.Join(envs, ", "), c.Module, envs[0]))
	}
	if _, ok := pol.Environment(c.Environment); ok || len(envs) == 0 {
		return c.Environment, nil // the engine decides whether they may
	}
	all := make([]string, 0, len(pol.Environments))
	for _, e := range pol.Environments {
		all = append(all, e.Name)
	}
	meant := registry.Closest(c.Environment, all)
	example := envs[0]
	if slices.Contains(envs, meant) {
		example = meant
	}
	return "", flow.Userf(flow.ErrBadEvent, fmt.Sprintf("there is no environment %q%s; use one of %s, e.g. /tfpilot new %s env=%s",
		Clip(c.Environment, 60), didYouMean(meant), strings.Join(envs, ", "), c.Module, example))
}

// projectFor is the project named, or the only one the policy has. With
// several and none named it asks which, showing how; a project the policy
// does not have is quoted back clipped, with the name most likely meant.
func projectFor(pol flow.Policy, project, how string) (string, error) {
	names := make([]string, 0, len(pol.Projects))
	for _, p := range pol.Projects {
		names = append(names, p.Name)
	}
	switch {
	case project != "" && slices.Contains(names, project):
		return project, nil
	case project != "":
		return "", flow.Userf(flow.ErrNotFound, fmt.Sprintf("project %q is not configured%s; choose one of %s",
			Clip(project, 60), didYouMean(registry.Closest(project, names)), orNone(names)))
	case len(names) == 1:
		return names[0], nil
	}
	return "", flow.Userf(flow.ErrBadEvent, fmt.Sprintf("which project? %s; the projects are %s", how, orNone(names)))
}

// resolve finds the request a reference names: its ID, its label, the start
// of either that only one request has (the engine's Find), or last (the
// newest request) and last-N (the one N before it). taken says which
// request a reference other than an ID or label was taken as.
func resolve(ctx context.Context, rd Reader, ref string) (r *flow.Request, taken string, err error) {
	back, ok := LastRef(ref)
	if !ok {
		r, err := rd.Find(ctx, ref)
		if err != nil {
			return nil, "", err
		}
		if l := registry.Label(r.ID); !strings.EqualFold(ref, r.ID) && !strings.EqualFold(ref, l) {
			taken = fmt.Sprintf("%s is request %s.", Clip(ref, 40), l)
		}
		return r, taken, nil
	}
	rs, err := rd.List(ctx, flow.Filter{})
	if err != nil {
		return nil, "", err
	}
	if back >= len(rs) {
		return nil, "", flow.Userf(flow.ErrNotFound, fmt.Sprintf("there are only %d request(s), so %q is none of them", len(rs), ref))
	}
	r = rs[len(rs)-1-back]
	return r, fmt.Sprintf("%s is request %s.", strings.ToLower(ref), registry.Label(r.ID)), nil
}

// LastRef parses "last" (0) and "last-N" (N, digits only): the most recent
// request and the ones before it. An N too large for an int is still
// last-N, one further back than there are requests (math.MaxInt).
func LastRef(ref string) (back int, ok bool) {
	r := strings.ToLower(ref)
	if r == "last" {
		return 0, true
	}
	n, found := strings.CutPrefix(r, "last-")
	if !found || n == "" || strings.Trim(n, "0123456789") != "" {
		return 0, false
	}
	back, err := strconv.Atoi(n)
	if err != nil {
		return math.MaxInt, true // only digits: out of range
	}
	return back, true
}

// didYouMean is " (did you mean <name>?)", or "" when there is no name to
// suggest.
func didYouMean(name string) string {
	if name == "" {
		return ""
	}
	return " (did you mean " + name + "?)"
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
