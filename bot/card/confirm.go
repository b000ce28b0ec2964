package card

import (
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Confirm builds the confirm card: module, environment, the names the
// request will create, its inputs and the rendered file (clipped at a line
// boundary). ForRequest adds the buttons flow offers (Submit, Edit, Cancel).
func Confirm(r *flow.Request, preview registry.File, derived []registry.DerivedName) Card {
	c := Card{
		Title:  Title(r),
		Status: "Review and submit: Submit opens a pull request and runs terraform plan.",
		Fields: requestFields(r),
	}
	if len(derived) > 0 {
		lines := make([]string, 0, len(derived))
		for _, d := range derived {
			lines = append(lines, Clip(d.Resource, 200)+": "+Clip(d.Name, 300))
		}
		lines, more := Head(lines, MaxPlanLines)
		c.Sections = append(c.Sections, Section{Title: "Names", Lines: lines, More: more})
	}
	if s, ok := inputsSection(r); ok {
		c.Sections = append(c.Sections, s)
	}
	if len(preview.Content) > 0 {
		text, cut := ClipLines(string(preview.Content), MaxCodeChars)
		title := preview.Path
		if title == "" {
			title = "Rendered change"
		}
		c.Code = &Code{Title: title, Text: text, Truncated: cut > 0}
		if cut > 0 {
			c.Notes = append(c.Notes, More(cut)+" lines of the file; the pull request shows it all.")
		}
	}
	c.Fallback = Title(r) + " (" + ShortID(r) + "): review and submit"
	return c
}
