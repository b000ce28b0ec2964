package card

import (
	"fmt"

	"github.com/tfpilot/tfpilot/bot/command"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// ListLine is one request on one line: "label · Create s3-bucket in dev · state · requester";
// a destroyed request's state is "destroyed by <label of the destroy request>".
func ListLine(r *flow.Request) string {
	state := r.State.String()
	if by := DestroyedBy(r); by != "" {
		state = "destroyed by " + by
	}
	return fmt.Sprintf("%s · %s · %s · %s", ShortID(r), Title(r), state, actorName(r.Requester))
}

// List builds a card listing requests, newest last, each linking to its
// thread; title says which list it is ("Your open requests").
func List(title string, reqs []*flow.Request) Card {
	c := Card{Title: title, Fallback: fmt.Sprintf("%s: %d", title, len(reqs))}
	if len(reqs) == 0 {
		c.Status = "Nothing here."
		return c
	}
	c.Status = fmt.Sprintf("%d request(s)", len(reqs))
	shown, more := reqs, 0
	if len(shown) > MaxListLines {
		shown, more = shown[len(shown)-MaxListLines:], len(shown)-MaxListLines
	}
	lines := make([]string, 0, len(shown))
	for _, r := range shown {
		lines = append(lines, ListLine(r))
		if r.Thread.URL != "" {
			c.Links = append(c.Links, Link{ShortID(r), r.Thread.URL})
		}
	}
	c.Sections = []Section{{Lines: lines, More: more}}
	return c
}

// Home builds the App Home view of a person: their open requests and the
// ones awaiting their approval.
func Home(mine, awaiting []*flow.Request) []Card {
	a := List("Awaiting your approval", awaiting)
	m := List("Your open requests", mine)
	return []Card{a, m}
}

// Modules builds the catalogue card of a project: one line per module with
// its description and user inputs.
func Modules(project string, cat *registry.Catalog) Card {
	c := Card{Title: "Modules", Fallback: "Modules of " + project}
	if project != "" {
		c.Title = "Modules of " + project
	}
	if cat == nil || len(cat.Modules) == 0 {
		c.Status = "No modules."
		return c
	}
	for _, m := range cat.Modules {
		var lines []string
		if m.Description != "" {
			lines = append(lines, Clip(oneLine(m.Description), 300))
		}
		var req, opt []string
		for _, in := range m.UserInputs() {
			if in.Required {
				req = append(req, in.Name)
			} else {
				opt = append(opt, in.Name)
			}
		}
		if len(req) > 0 {
			lines = append(lines, "required: "+joinComma(req))
		}
		if len(opt) > 0 {
			lines = append(lines, "optional: "+joinComma(opt))
		}
		c.Sections = append(c.Sections, Section{Title: m.Name, Lines: lines})
	}
	if len(cat.Diagnostics) > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d module problem(s) hide some modules; run `bot check`.", len(cat.Diagnostics)))
	}
	return c
}

// Text builds a card that is just a message (refusals, confirmations).
func Text(title, text string) Card {
	return Card{Title: title, Status: text, Fallback: text}
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// Help builds the help card from [command.Usage].
func Help() Card {
	lines := make([]string, 0, len(command.Usage))
	for _, u := range command.Usage {
		lines = append(lines, u[0]+" — "+u[1])
	}
	return Card{
		Title:    "TfPilot help",
		Status:   "TfPilot turns requests into reviewed Terraform pull requests.",
		Sections: []Section{{Title: "Commands", Lines: lines}},
		Notes:    []string{"In a request's thread, reply key=value (several per message) to set inputs."},
		Fallback: command.Help(),
	}
}

// Usage builds the card answering bad usage: what is wrong, then the help.
func Usage(problem string) Card {
	c := Help()
	c.Status = problem
	c.Fallback = problem + "\n" + command.Help()
	return c
}
