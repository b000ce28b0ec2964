package console

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tfpilot/tfpilot/bot/command"
)

// lineKind says what a typed line asks for.
type lineKind int

const (
	lineEmpty   lineKind = iota + 1 // blank line or # comment
	lineCommand                     // /tfpilot …
	lineAssign                      // key=value … for the current request
	linePress                       // a number: press that button of the last card
	lineAs                          // /as <user>
	lineHelp                        // help, /help
	lineWhoami                      // /whoami
	lineQuit                        // /quit, /exit
)

// line is one parsed input line.
type line struct {
	kind   lineKind
	cmd    command.Command
	inputs map[string]string
	button int
	user   string
}

// userName is what /as accepts: a chat-like user name or ID.
var userName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidUser reports whether name is a user name /as accepts.
func ValidUser(name string) bool { return userName.MatchString(name) }

// parseLine reads one line. Errors are *command.UsageError or
// *command.SyntaxError, whose text is for the person.
func parseLine(text string) (line, error) {
	t := strings.TrimSpace(text)
	if t == "" || strings.HasPrefix(t, "#") {
		return line{kind: lineEmpty}, nil
	}
	word, rest, _ := strings.Cut(t, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(word) {
	case "/tfpilot", "tfpilot":
		c, err := command.Parse(rest)
		if err != nil {
			return line{}, err
		}
		return line{kind: lineCommand, cmd: c}, nil
	case "/as":
		if !userName.MatchString(rest) {
			return line{}, &command.UsageError{Msg: "/as needs one user name, e.g. /as bob"}
		}
		return line{kind: lineAs, user: rest}, nil
	case "/whoami":
		return line{kind: lineWhoami}, nil
	case "help", "/help", "?":
		return line{kind: lineHelp}, nil
	case "/quit", "/exit", "quit", "exit":
		return line{kind: lineQuit}, nil
	}
	if n, err := strconv.Atoi(t); err == nil {
		if n < 1 {
			return line{}, &command.UsageError{Msg: fmt.Sprintf("there is no button %d; buttons are numbered from 1", n)}
		}
		return line{kind: linePress, button: n}, nil
	}
	// Every line here is meant for TfPilot, so a line with an "=" that is
	// not quite key=value gets the parser's word on it (a name with spaces
	// on a shared line, say), not the generic answer below.
	if command.IsAssignment(t) || strings.Contains(t, "=") {
		kv, err := command.ParseAssignments(t)
		if err != nil {
			return line{}, err
		}
		return line{kind: lineAssign, inputs: kv}, nil
	}
	if strings.HasPrefix(t, "/") {
		return line{}, &command.UsageError{Msg: fmt.Sprintf("unknown command %q; type help", command.Clip(word, 40))}
	}
	return line{}, &command.UsageError{Msg: "type a /tfpilot command, key=value inputs, a button number, or help"}
}

// consoleHelp is the console's own lines, after the /tfpilot commands.
const consoleHelp = `In this console:
  key=value …          set inputs of the current request (the one last shown)
  <number>             press that button of the last card shown
  /as <user>           act as another user (approvals, refusals)
  /whoami              show who you are acting as
  last, last-1, …      stand for the most recent request, the one before, … (/tfpilot apply last)
  help                 this help; end of input (Ctrl-D) exits`
