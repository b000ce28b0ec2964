package console

import (
	"fmt"
	"strings"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/internal/printable"
)

// style wraps text in ANSI codes when color is on.
type style struct{ color bool }

// sgr are the only escape sequences style writes (see wrap's callers).
var sgr = []string{"\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[1;32m"}

func (s style) wrap(code, text string) string {
	if !s.color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// clean makes text safe for the terminal: every control character but line
// breaks and tabs is escaped (printable.Text), so nothing a person typed or
// a plan holds can clear the screen, move the cursor, set the title or
// reorder a line. With colour on, style's own codes (sgr) stay: the same
// codes typed in can only colour text.
func (s style) clean(text string) string {
	if !s.color {
		return printable.Text(text)
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '\x1b')
		if i < 0 {
			b.WriteString(printable.Text(text))
			return b.String()
		}
		code := ""
		for _, c := range sgr {
			if strings.HasPrefix(text[i:], c) {
				code = c
			}
		}
		if code == "" {
			b.WriteString(printable.Text(text[:i+1]))
			text = text[i+1:]
			continue
		}
		b.WriteString(printable.Text(text[:i]) + code)
		text = text[i+len(code):]
	}
}

func (s style) bold(t string) string { return s.wrap("1", t) }
func (s style) dim(t string) string  { return s.wrap("2", t) }
func (s style) red(t string) string  { return s.wrap("31", t) }

func (s style) button(b card.Button, n int) string {
	t := fmt.Sprintf("[%d] %s", n, b.Text)
	switch b.Style {
	case card.StylePrimary:
		return s.wrap("1;32", t)
	case card.StyleDanger:
		return s.wrap("31", t)
	}
	return t
}

// RenderCard writes c as text: title, status, fields, sections, code,
// links, notes and the buttons numbered from 1 in card order (the number
// presses the button). It returns the text and the buttons in number order.
func RenderCard(c card.Card, color bool) (string, []card.Button) {
	s := style{color: color}
	var b strings.Builder
	b.WriteString(s.bold("== "+c.Title+" ==") + "\n")
	if c.Status != "" {
		b.WriteString(c.Status + "\n")
	}
	if len(c.Fields) > 0 {
		parts := make([]string, 0, len(c.Fields))
		for _, f := range c.Fields {
			parts = append(parts, f.Label+": "+f.Value)
		}
		b.WriteString(s.dim(strings.Join(parts, " | ")) + "\n")
	}
	for _, sec := range c.Sections {
		indent := "  "
		if sec.Title != "" {
			b.WriteString(sec.Title + ":\n")
		} else {
			indent = ""
		}
		for _, l := range sec.Lines {
			b.WriteString(indent + l + "\n")
		}
		if sec.More > 0 {
			b.WriteString(indent + card.More(sec.More) + "\n")
		}
	}
	if c.Code != nil {
		title := c.Code.Title
		if title == "" {
			title = "Code"
		}
		b.WriteString(title + ":\n")
		for _, l := range strings.Split(strings.TrimRight(c.Code.Text, "\n"), "\n") {
			b.WriteString("    " + l + "\n")
		}
		if c.Code.Truncated {
			b.WriteString("    …\n")
		}
		if c.Code.Link != nil {
			b.WriteString("  " + c.Code.Link.Text + ": " + c.Code.Link.URL + "\n")
		}
	}
	for _, l := range c.Links {
		b.WriteString(l.Text + ": " + l.URL + "\n")
	}
	for _, n := range c.Notes {
		b.WriteString(s.dim("note: "+n) + "\n")
	}
	var buttons []card.Button
	for _, g := range c.Groups {
		if len(g.Buttons) == 0 {
			continue
		}
		if g.Title != "" {
			b.WriteString(g.Title + "\n")
		}
		var row []string
		for _, btn := range g.Buttons {
			buttons = append(buttons, btn)
			label := s.button(btn, len(buttons))
			if btn.Description != "" {
				// Choices with descriptions go one per line.
				b.WriteString("  " + label + " — " + btn.Description + "\n")
				continue
			}
			row = append(row, label)
		}
		if len(row) > 0 {
			b.WriteString(strings.Join(row, "  ") + "\n")
		}
	}
	return b.String(), buttons
}

// RenderForm writes an input form as text: one line per input saying how to
// set it.
func RenderForm(f card.Form) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Inputs for %s — reply with key=value (several per line):\n", f.Module)
	for _, ff := range f.Fields {
		line := "  " + ff.Name
		switch {
		case ff.Required:
			line += " (required)"
		case ff.Default != "":
			line += " (default " + card.Clip(ff.Default, 60) + ")"
		default:
			line += " (optional)"
		}
		if ff.Sensitive {
			line += " (sensitive)"
		}
		if len(ff.Options) > 0 {
			line += " one of: " + strings.Join(ff.Options, ", ")
		}
		if ff.Initial != "" && ff.Initial != ff.Default {
			line += " now: " + card.Clip(ff.Initial, 60)
		}
		if ff.Hint != "" {
			line += " — " + card.Clip(ff.Hint, 160)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
