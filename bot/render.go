package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
)

// Block Kit limits (API-FACTS §3). Every message, modal and Home view the
// bot sends is cut to fit them.
const (
	MaxMessageBlocks  = 50
	MaxViewBlocks     = 100
	MaxSectionText    = 3000
	MaxFieldText      = 2000
	MaxFields         = 10
	MaxHeaderText     = 150
	MaxButtonText     = 75
	MaxButtonValue    = 2000
	MaxOptionText     = 75
	MaxOptionValue    = 150
	MaxSelectOptions  = 100
	MaxActionElements = 25
	MaxContextElems   = 10
	MaxModalTitle     = 24
	MaxMessageText    = 3000 // fallback text; chat.update refuses > 4,000
	MaxAckBytes       = 20 * 1024
)

// escape makes plain text safe for mrkdwn: Slack reads &, < and > as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func plain(s string, n int) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.PlainTextType, card.Clip(s, n), false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clipRunes(s, MaxSectionText), false, false)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return card.Clip(s, n)
}

// Message is a rendered card: blocks plus the plain-text fallback.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Render turns a card into Block Kit within the message limits.
func Render(c card.Card) Message {
	return Message{Text: clipRunes(escape(c.Fallback), MaxMessageText), Blocks: renderBlocks(c, MaxMessageBlocks)}
}

// renderBlocks renders c in at most max blocks. When content has to go, the
// buttons stay: a request must stay actionable however big its plan.
func renderBlocks(c card.Card, max int) []slack.Block {
	var body, actions []slack.Block
	if c.Title != "" {
		body = append(body, slack.NewHeaderBlock(plain(c.Title, MaxHeaderText)))
	}
	if c.Status != "" {
		body = append(body, slack.NewSectionBlock(mrkdwn(escape(c.Status)), nil, nil))
	}
	body = append(body, fieldBlocks(c.Fields)...)
	for _, s := range c.Sections {
		body = append(body, sectionBlock(s))
	}
	if c.Code != nil {
		body = append(body, codeBlock(*c.Code))
	}
	if len(c.Links) > 0 {
		body = append(body, linkBlock(c.Links))
	}
	if len(c.Notes) > 0 {
		body = append(body, noteBlock(c.Notes))
	}
	n := 0
	for _, g := range c.Groups {
		bs, used := groupBlocks(g, n)
		n += used
		if hasDescriptions(g) {
			body = append(body, bs...)
		} else {
			actions = append(actions, bs...)
		}
	}
	return fitBlocks(body, actions, max)
}

// fitBlocks keeps body then actions within max blocks, replacing what is
// cut from the body by one "…and N more" context line.
func fitBlocks(body, actions []slack.Block, max int) []slack.Block {
	if len(actions) > max-1 {
		actions = actions[:max-1]
	}
	if len(body)+len(actions) <= max {
		return append(body, actions...)
	}
	keep := max - len(actions) - 1
	cut := len(body) - keep
	out := append(body[:keep:keep], slack.NewContextBlock("", mrkdwn(card.More(cut)+" (too long for one message)")))
	return append(out, actions...)
}

func fieldBlocks(fs []card.Field) []slack.Block {
	var out []slack.Block
	for len(fs) > 0 {
		n := min(len(fs), MaxFields)
		objs := make([]*slack.TextBlockObject, 0, n)
		for _, f := range fs[:n] {
			objs = append(objs, slack.NewTextBlockObject(slack.MarkdownType,
				clipRunes("*"+escape(f.Label)+"*\n"+escape(f.Value), MaxFieldText), false, false))
		}
		out = append(out, slack.NewSectionBlock(nil, objs, nil))
		fs = fs[n:]
	}
	return out
}

func sectionBlock(s card.Section) slack.Block {
	head := ""
	if s.Title != "" {
		head = "*" + escape(card.Clip(s.Title, 200)) + "*\n"
	}
	lines := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = escape(l)
	}
	body := card.Fit(lines, s.More, MaxSectionText-utf8.RuneCountInString(head))
	return slack.NewSectionBlock(mrkdwn(head+body), nil, nil)
}

func codeBlock(c card.Code) slack.Block {
	head := ""
	if c.Title != "" {
		head = "*" + escape(card.Clip(c.Title, 200)) + "*\n"
	}
	const fence = "```"
	room := MaxSectionText - utf8.RuneCountInString(head) - 2*len(fence) - 2
	text, cut := card.ClipLines(escape(c.Text), room-30)
	if cut > 0 {
		text += "\n" + card.More(cut) + " lines"
	}
	return slack.NewSectionBlock(mrkdwn(head+fence+"\n"+text+"\n"+fence), nil, nil)
}

// link renders a Slack link; the URL may not hold "|" or ">", so such
// characters are percent-encoded.
func link(l card.Link) string {
	u := strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(l.URL)
	return "<" + u + "|" + escape(card.Clip(l.Text, 100)) + ">"
}

func linkBlock(ls []card.Link) slack.Block {
	parts := make([]string, 0, len(ls))
	n := 0
	for i, l := range ls {
		p := link(l)
		if n+utf8.RuneCountInString(p)+3 > MaxSectionText-40 {
			parts = append(parts, card.More(len(ls)-i))
			break
		}
		parts = append(parts, p)
		n += utf8.RuneCountInString(p) + 3
	}
	return slack.NewSectionBlock(mrkdwn(strings.Join(parts, " · ")), nil, nil)
}

func noteBlock(ns []string) slack.Block {
	var els []slack.MixedElement
	for i, n := range ns {
		if i == MaxContextElems-1 && len(ns) > MaxContextElems {
			els = append(els, mrkdwn(card.More(len(ns)-i)))
			break
		}
		els = append(els, mrkdwn(escape(n)))
	}
	return slack.NewContextBlock("", els...)
}

func hasDescriptions(g card.Group) bool {
	for _, b := range g.Buttons {
		if b.Description != "" {
			return true
		}
	}
	return false
}

// groupBlocks renders a button group. Buttons with descriptions become one
// section each with the button beside it; others share actions blocks of at
// most 25. first numbers the action IDs, which must be unique per message.
func groupBlocks(g card.Group, first int) ([]slack.Block, int) {
	var out []slack.Block
	if g.Title != "" && len(g.Buttons) > 0 {
		out = append(out, slack.NewSectionBlock(mrkdwn("*"+escape(card.Clip(g.Title, 200))+"*"), nil, nil))
	}
	if hasDescriptions(g) {
		for i, b := range g.Buttons {
			text := "*" + escape(card.Clip(b.Text, 200)) + "*"
			if b.Description != "" {
				text += "\n" + escape(card.Clip(b.Description, 1000))
			}
			out = append(out, slack.NewSectionBlock(mrkdwn(text), nil, slack.NewAccessory(button(b, first+i))))
		}
		return out, len(g.Buttons)
	}
	for i := 0; i < len(g.Buttons); i += MaxActionElements {
		end := min(i+MaxActionElements, len(g.Buttons))
		els := make([]slack.BlockElement, 0, end-i)
		for j := i; j < end; j++ {
			els = append(els, button(g.Buttons[j], first+j))
		}
		out = append(out, slack.NewActionBlock("", els...))
	}
	return out, len(g.Buttons)
}

// ActionID is the Slack action_id of a card button: the action, a colon and
// a per-message number.
func ActionID(a card.Action, n int) string { return string(a) + ":" + strconv.Itoa(n) }

// ParseActionID returns the card action of a Slack action_id.
func ParseActionID(id string) card.Action {
	a, _, _ := strings.Cut(id, ":")
	return card.Action(a)
}

func button(b card.Button, n int) *slack.ButtonBlockElement {
	el := slack.NewButtonBlockElement(ActionID(b.Action, n), card.Clip(b.Value, MaxButtonValue), plain(b.Text, MaxButtonText))
	switch b.Style {
	case card.StylePrimary:
		el = el.WithStyle(slack.StylePrimary)
	case card.StyleDanger:
		el = el.WithStyle(slack.StyleDanger)
	}
	if b.Confirm != "" {
		el = el.WithConfirm(slack.NewConfirmationBlockObject(plain("Are you sure?", 100),
			plain(b.Confirm, 300), plain(card.Clip(b.Text, 30), 30), plain("Back", 30)))
	}
	return el
}
