package console

import (
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/bot/card"
)

// TestConsoleNeverEchoesEscapes: whatever a person types, the terminal gets
// no control character back (echoes, replies, input values on cards, error
// texts quoting the line): each is shown escaped.
func TestConsoleNeverEchoesEscapes(t *testing.T) {
	out, _ := sessionOn(t, repoModules(), "U1", strings.Join([]string{
		"/tfpilot new s3-bucket env=dev",
		"name=\x1b[2Jlogs",
		`tags={"team"="a` + "\x1b]0;pwned\x07" + `"}`,
		"/tfpilot new s3\x1b[2J env=dev",
		"/whatever\x9b2J",
		"\u202eeulav=yek",
		"/as \x1b[H",
		"/tfpilot status 000000000001",
	}, "\n"))
	if i := strings.IndexFunc(out, func(r rune) bool {
		return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e
	}); i >= 0 {
		t.Errorf("output holds control character %q at %d: %q", []rune(out[i:])[0], i, out[max(0, i-80):min(len(out), i+80)])
	}
	for _, want := range []string{
		`U1> name=\x1b[2Jlogs`,
		`tags = team=a\x1b]0;pwned\x07`,
		`there is no module "s3\x1b[2J"`,
		`\u202eeulav=yek`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
}

// TestCleanKeepsOnlyOwnColours: with colour on, the console's own codes
// reach the terminal and nothing else that starts an escape sequence does.
func TestCleanKeepsOnlyOwnColours(t *testing.T) {
	text, _ := RenderCard(card.Card{Title: "x\x1b[2J", Status: "s\x1b]8;;http://evil\x07", Notes: []string{"\x1b[1mbold\x1b[8m"}}, true)
	got := style{color: true}.clean(text)
	want := "\x1b[1m== x\\x1b[2J ==\x1b[0m\ns\\x1b]8;;http://evil\\x07\n\x1b[2mnote: \x1b[1mbold\\x1b[8m\x1b[0m\n"
	if got != want {
		t.Errorf("clean(RenderCard) =\n %q\nwant\n %q", got, want)
	}
}
