package card

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Action identifies what a button does. Surfaces send it back with the
// button's Value when the button is pressed.
type Action string

// Button actions. The values double as Slack action_id prefixes, so they
// never change once deployed.
const (
	ActApprove       Action = "approve"
	ActReject        Action = "reject"
	ActApply         Action = "apply"
	ActReplan        Action = "replan"
	ActCancel        Action = "cancel"
	ActRetry         Action = "retry"
	ActRetryMerge    Action = "retry_merge" // merge the pull request of an applied request again
	ActSubmit        Action = "submit"      // confirm the change: open the pull request
	ActEdit          Action = "edit"        // open the input form (and go back to editing)
	ActChooseModule  Action = "choose_module"
	ActChooseEnv     Action = "choose_env"
	ActChooseProject Action = "choose_project"
)

// Actions lists every action, for routing tables and tests.
func Actions() []Action {
	return []Action{ActApprove, ActApproveAck, ActReject, ActApply, ActReplan, ActCancel, ActRetry, ActRetryMerge,
		ActSubmit, ActEdit, ActChooseModule, ActChooseEnv, ActChooseProject}
}

// Style is a button's emphasis.
type Style int

// Button styles.
const (
	StyleDefault Style = iota
	StylePrimary
	StyleDanger
)

// Button is something a person can press.
type Button struct {
	Text   string
	Action Action
	// Value identifies what the button acts on; see [Value] and [ParseValue].
	Value string
	Style Style
	// Description is a one-line explanation shown next to the button (module
	// choice); empty for most buttons.
	Description string
	// Confirm, when set, asks the person to confirm before the press counts.
	Confirm string
}

// Group is a titled row of buttons (a choice, or a card's actions).
type Group struct {
	Title   string
	Buttons []Button
}

// Field is a short label/value pair.
type Field struct {
	Label, Value string
}

// Link is a titled URL.
type Link struct {
	Text, URL string
}

// Section is a titled list of lines. More counts lines left out (rendered as
// "…and N more").
type Section struct {
	Title string
	Lines []string
	More  int
}

// Code is a preformatted block (rendered HCL, plan text). Truncated is set
// when Text was cut; Link, when set, points at the full text.
type Code struct {
	Title     string
	Text      string
	Truncated bool
	Link      *Link
}

// Card is one message: a request's status card, a choice, a list, help.
// Text in a card is plain: no markup, no mention syntax. Surfaces escape it.
type Card struct {
	Title string
	// Status is one line under the title saying where things are.
	Status   string
	Fields   []Field
	Sections []Section
	Code     *Code
	Links    []Link
	// Notes are small print: warnings, problems, hints.
	Notes []string
	// Groups are rows of buttons; the last group usually holds the
	// request's actions.
	Groups []Group
	// Fallback is the one-line plain-text summary used for notifications and
	// screen readers.
	Fallback string
}

// Buttons returns every button of the card in order, across groups.
func (c Card) Buttons() []Button {
	var out []Button
	for _, g := range c.Groups {
		out = append(out, g.Buttons...)
	}
	return out
}

// Value joins a request ID and optional choice arguments into a button
// value: "id|arg1|arg2". Parts must not contain "|" (IDs, project, module and
// environment names never do).
func Value(id string, args ...string) string {
	return strings.Join(append([]string{id}, args...), "|")
}

// ParseValue splits a button value made by [Value].
func ParseValue(v string) (id string, args []string) {
	parts := strings.Split(v, "|")
	return parts[0], parts[1:]
}

// Clip shortens s to at most n characters (runes), ending in "…" when cut.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// More is the "…and N more" line for n left-out items.
func More(n int) string { return "…and " + strconv.Itoa(n) + " more" }

// Head keeps the first max lines and returns how many were left out.
func Head(lines []string, max int) ([]string, int) {
	if len(lines) <= max {
		return lines, 0
	}
	return lines[:max], len(lines) - max
}

// Fit joins lines with newlines into at most limit characters (runes), each
// line clipped to the limit, ending with an "…and N more" line when some
// lines do not fit. more counts lines already left out before.
func Fit(lines []string, more, limit int) string {
	out := make([]string, 0, len(lines)+1)
	total := -1
	for _, l := range lines {
		total += 1 + utf8.RuneCountInString(Clip(l, limit))
	}
	if more == 0 && total <= limit {
		for _, l := range lines {
			out = append(out, Clip(l, limit))
		}
		return strings.Join(out, "\n")
	}
	n := 0
	for i, l := range lines {
		l = Clip(l, limit)
		w := utf8.RuneCountInString(l)
		if len(out) > 0 {
			w++
		}
		reserve := 0
		if left := len(lines) - i - 1 + more; left > 0 {
			reserve = 1 + utf8.RuneCountInString(More(left+1))
		}
		if n+w+reserve > limit {
			return Clip(strings.Join(append(out, More(len(lines)-i+more)), "\n"), limit)
		}
		out = append(out, l)
		n += w
	}
	if more > 0 {
		out = append(out, More(more))
	}
	return Clip(strings.Join(out, "\n"), limit)
}

// ClipLines cuts text to at most limit characters at a line boundary, so a
// code block never ends mid-line; it reports whether anything was cut and
// how many lines were left out.
func ClipLines(text string, limit int) (string, int) {
	if utf8.RuneCountInString(text) <= limit {
		return text, 0
	}
	lines := strings.Split(text, "\n")
	n, kept := 0, 0
	for _, l := range lines {
		w := utf8.RuneCountInString(l) + 1
		if n+w > limit {
			break
		}
		n += w
		kept++
	}
	if kept == 0 {
		return Clip(lines[0], limit), len(lines) - 1
	}
	return strings.Join(lines[:kept], "\n"), len(lines) - kept
}
