package card

import (
	"fmt"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// MaxChoices is how many buttons a choice offers; more are listed as
// "…and N more" with a hint to use the command form.
const MaxChoices = 24

// Choice is what the project → module → environment choice needs. The
// choice proceeds one step at a time and carries what was chosen so far in
// the button values (see [ChoiceValue]), so no surface keeps state between
// clicks and a restart loses nothing.
type Choice struct {
	Policy  *flow.Policy
	Catalog *registry.Catalog // catalogue of Project; nil until a project is chosen
	Actor   *flow.Actor       // who chooses: environments are those they may request in
	// Viewer, when set, shows only the moves flow lets them make on the
	// request (Cancel, Retry); see Options.Viewer. Outlook, when set, is
	// flow's answer already (see Options.Outlook).
	Viewer  *flow.Actor
	Outlook *flow.Outlook
	// Project and Module are what was chosen so far (empty: not yet).
	Project, Module string
}

// ChoiceValue encodes a choice in progress for a button value:
// "id|project|module|environment".
func ChoiceValue(id, project, module, env string) string { return Value(id, project, module, env) }

// ParseChoice decodes a value made by [ChoiceValue].
func ParseChoice(v string) (id, project, module, env string) {
	id, args := ParseValue(v)
	for len(args) < 3 {
		args = append(args, "")
	}
	return id, args[0], args[1], args[2]
}

// ModuleChoice builds the next step of the choice for request r: the project
// when the policy has more than one and none is chosen, then the module (one
// button per catalogue module, with its one-line description), then the
// environment (only those ch.Actor may request in, and that allow the
// module). The moves flow offers on the request (Cancel, and Retry after a
// failure) end every step.
func ModuleChoice(r *flow.Request, ch Choice) Card {
	project := ch.Project
	if project == "" {
		project = r.Project
	}
	var pol flow.Policy
	if ch.Policy != nil {
		pol = *ch.Policy
	}
	if project == "" && len(pol.Projects) == 1 {
		project = pol.Projects[0].Name
	}
	c := Card{Title: "New request", Fields: []Field{{"Request", ShortID(r)}, {"Requested by", actorName(r.Requester)}}}
	o := ch.Outlook
	if o == nil {
		oo := flow.OutlookOf(r, pol, ch.Viewer)
		o = &oo
	}
	moves := Group{Buttons: Buttons(r, *o)}
	switch {
	case project == "":
		c.Status = "Which project? Each project is its own environment repository."
		var g Group
		for _, p := range pol.Projects {
			g.Buttons = append(g.Buttons, Button{Text: p.Name, Action: ActChooseProject, Value: ChoiceValue(r.ID, p.Name, "", ""), Description: p.Repo})
		}
		g.Buttons, c.Notes = capChoices(g.Buttons, "/tfpilot new <module> project=<name>")
		g.Title = "Project"
		c.Groups = withMoves(g, moves)
	case ch.Module == "":
		c.Status = "Which module?"
		c.Fields = append(c.Fields, Field{"Project", project})
		var g Group
		if ch.Catalog != nil {
			for _, m := range ch.Catalog.Modules {
				g.Buttons = append(g.Buttons, Button{Text: m.Name, Action: ActChooseModule, Value: ChoiceValue(r.ID, project, m.Name, ""), Description: Clip(oneLine(m.Description), 150)})
			}
		}
		switch {
		case ch.Catalog == nil:
			c.Notes = append(c.Notes, "The module catalogue of "+project+" could not be loaded just now; this card shows the modules once it is, or use /tfpilot new <module>.")
		case len(g.Buttons) == 0:
			c.Notes = append(c.Notes, "The catalogue of "+project+" has no modules yet.")
		}
		var notes []string
		g.Buttons, notes = capChoices(g.Buttons, "/tfpilot new <module>")
		c.Notes = append(c.Notes, notes...)
		g.Title = "Module"
		c.Groups = withMoves(g, moves)
	default:
		c.Status = "Which environment for " + ch.Module + "?"
		c.Fields = append(c.Fields, Field{"Project", project}, Field{"Module", ch.Module})
		actor := r.Requester
		if ch.Actor != nil {
			actor = *ch.Actor
		}
		var g Group
		for _, env := range pol.RequestableEnvironments(actor) {
			if !pol.ModuleAllowed(env, ch.Module) {
				continue
			}
			g.Buttons = append(g.Buttons, Button{Text: env, Action: ActChooseEnv, Value: ChoiceValue(r.ID, project, ch.Module, env)})
		}
		if len(g.Buttons) == 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("You may not request %s in any environment; ask a platform admin.", ch.Module))
		}
		g.Title = "Environment"
		c.Groups = withMoves(g, moves)
	}
	c.Fallback = "New request: " + c.Status
	return c
}

func capChoices(bs []Button, hint string) ([]Button, []string) {
	if len(bs) <= MaxChoices {
		return bs, nil
	}
	return bs[:MaxChoices], []string{More(len(bs)-MaxChoices) + "; use " + hint}
}

// withMoves is the choice's group followed by the request's moves, if any.
func withMoves(choice, moves Group) []Group {
	if len(moves.Buttons) == 0 {
		return []Group{choice}
	}
	return []Group{choice, moves}
}
