package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/bot/command"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// maxLine is the longest input line acted on (a pasted JSON map, say); a
// longer one is refused and the session goes on.
const maxLine = 1 << 20

// maxEcho is how much of a piped line the transcript repeats: enough for
// any line a script holds, not a pasted 100 KB blob.
const maxEcho = 500

// Run reads lines from in until end of input (or /quit), acting on each,
// and after each waits for the engine to settle, so the cards and replies a
// line causes are printed before the next line is read and a piped script
// runs deterministically. A line over maxLine bytes is read to its end and
// refused. At the end it waits for the engine to settle once more and
// returns nil; it returns early only when ctx ends or in cannot be read.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	eng := c.engine()
	if eng == nil {
		return errors.New("console: no engine attached")
	}
	r := bufio.NewReaderSize(in, 64*1024)
	for {
		if c.opts.Interactive {
			c.prompt()
		}
		text, size, err := readLine(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("console: read input: %w", err)
		}
		if !c.opts.Interactive && strings.TrimSpace(text) != "" {
			c.printf("%s> %s\n", c.Actor().ID, command.Clip(c.echoed(ctx, text), maxEcho))
		}
		quit := false
		if size > maxLine {
			c.printf("that line is %d bytes, more than the %d a line may have, so nothing on it was read; shorten it (no input takes a value that long)\n", size, maxLine)
		} else {
			quit = c.Line(ctx, text)
		}
		if err := c.settle(ctx, eng); err != nil {
			return err
		}
		if quit {
			return nil
		}
	}
	return c.settle(ctx, eng)
}

// readLine reads one line and returns it without its line ending (\n or
// \r\n), with its length in bytes. A line over maxLine bytes is read to its
// end but only its start is kept, clipped, to echo it. At the end of input
// it returns io.EOF; a last line without a line ending still counts.
func readLine(r *bufio.Reader) (text string, size int, err error) {
	var buf []byte
	var last, beforeLast byte
	for {
		chunk, err := r.ReadSlice('\n')
		size += len(chunk)
		for _, b := range chunk[max(0, len(chunk)-2):] {
			beforeLast, last = last, b
		}
		if len(buf) <= maxLine+2 { // a line this long is refused: keep no more
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || size == 0) {
			return "", 0, err
		}
		break
	}
	if size > 0 && last == '\n' {
		size, last = size-1, beforeLast
	}
	if size > 0 && last == '\r' {
		size--
	}
	if size > maxLine {
		return command.Clip(strings.ToValidUTF8(string(buf[:200]), ""), 40), size, nil
	}
	return string(buf[:size]), size, nil
}

func (c *Console) prompt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.opts.Out, c.style.clean(c.style.bold(c.actor.ID+"> ")))
}

func (c *Console) settle(ctx context.Context, eng Engine) error {
	if err := eng.Settle(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.problem(err)
	}
	return nil
}

// Line acts on one input line and reports whether it asked to quit.
func (c *Console) Line(ctx context.Context, text string) (quit bool) {
	l, err := parseLine(text)
	if err != nil {
		c.problem(err)
		return false
	}
	switch l.kind {
	case lineQuit:
		return true
	case lineAs:
		c.mu.Lock()
		c.actor = flow.Actor{ID: l.user, Name: l.user}
		c.mu.Unlock()
		c.printf("You are now %s.\n", l.user)
	case lineWhoami:
		c.printf("You are %s.\n", c.Actor().ID)
	case lineHelp:
		c.printf("%s\n%s\n", command.Help(), consoleHelp)
	case lineCommand:
		c.problem(c.command(ctx, l.cmd))
	case lineAssign:
		c.problem(c.assign(ctx, l.inputs))
	case linePress:
		c.problem(c.press(ctx, l.button))
	}
	return false
}

// event is a person's event with a fresh idempotency key: each typed line
// is a new delivery.
func (c *Console) event(kind flow.EventKind) flow.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return flow.Event{Kind: kind, Key: fmt.Sprintf("console-%s-%d", c.session, c.seq), Actor: c.actor}
}

// command carries out a /tfpilot command: the interpreter (package
// command) decides what it asks for, as it does for Slack; this renders it.
func (c *Console) command(ctx context.Context, cmd command.Command) error {
	if cmd.Verb == command.VerbHelp {
		c.printf("%s\n%s\n", command.Help(), consoleHelp)
		return nil
	}
	in, err := command.Interpret(ctx, c.engine(), cmd, c.Actor())
	if err != nil {
		return err
	}
	if in.Taken != "" {
		c.printf("%s\n", in.Taken)
	}
	ev := c.event(in.Event.Kind)
	ev.Actor, ev.Project, ev.Module, ev.Environment, ev.Inputs, ev.Target, ev.Accepts =
		in.Event.Actor, in.Event.Project, in.Event.Module, in.Event.Environment, in.Event.Inputs, in.Event.Target, in.Event.Accepts
	switch in.Do {
	case command.DoOpen:
		if ev.Kind == flow.EvStart && len(ev.Inputs) == 0 {
			ev.TriggerID = triggerID // the form: the console prints it
		}
		// Inputs are checked before anything is created: a bad one
		// creates nothing, and the problems say so.
		return c.open(ctx, ev)
	case command.DoHandle:
		r, err := c.engine().Handle(ctx, in.Request.ID, ev)
		if err != nil {
			return c.withNextStep(ctx, err, in.Request.ID)
		}
		if reply := command.Reply(ev, r); reply != "" {
			c.printf("%s\n", reply)
		}
	case command.DoList:
		c.show(card.List(in.Title, in.Requests), "")
	case command.DoStatus:
		c.showRequest(ctx, in.Request)
	case command.DoModules:
		c.show(card.Modules(in.Project, in.Catalog), "")
	}
	return nil
}

func (c *Console) open(ctx context.Context, ev flow.Event) error {
	r, err := c.engine().Open(ctx, ev)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.current = r.ID
	c.mu.Unlock()
	return nil
}

func (c *Console) handle(ctx context.Context, id string, ev flow.Event) error {
	_, err := c.engine().Handle(ctx, id, ev)
	return err
}

// assign sets inputs of the current request.
func (c *Console) assign(ctx context.Context, inputs map[string]string) error {
	c.mu.Lock()
	id := c.current
	c.mu.Unlock()
	if id == "" {
		return flow.Userf(flow.ErrBadEvent, "there is no current request for these inputs; start one with /tfpilot new <module> env=<env>")
	}
	eng := c.engine()
	before, err := eng.Find(ctx, id)
	if err != nil {
		return err
	}
	ev := c.event(flow.EvSetInputs)
	ev.Inputs = inputs
	r, err := eng.Handle(ctx, id, ev)
	var given []string
	var notSet *flow.InputsNotSet
	if errors.As(err, &notSet) && len(notSet.Set) > 0 {
		// The good inputs of the line were set: their card first (it may
		// be the confirm card), then the problems and what is still needed.
		_ = eng.Settle(ctx)
		c.problem(err)
		given, err = notSet.Set, nil
	}
	if err != nil || r == nil || r.State != before.State {
		return err // a new state prints its own card
	}
	// The state stays: say what was taken, under the inputs' own names, and
	// what is still needed, so a key=value line never goes unanswered.
	var missing []string
	if given == nil {
		given = slices.Sorted(maps.Keys(inputs))
	}
	if cat, cerr := eng.Catalog(ctx, r.Project); cerr == nil {
		if m, ok := cat.Module(r.Module); ok {
			if canon, err := m.Resolve(inputs); err == nil && notSet == nil {
				given = slices.Sorted(maps.Keys(canon))
			}
			missing = m.Missing(r.Inputs)
		}
	}
	c.printf("%s\n", setReply(before, r, given, missing))
	return nil
}

// press acts on button n of the last card shown.
func (c *Console) press(ctx context.Context, n int) error {
	c.mu.Lock()
	buttons, of := slices.Clone(c.buttons), c.buttonsOf
	c.mu.Unlock()
	if len(buttons) == 0 {
		msg := "there are no buttons to press: the last card shown has none"
		if of != "" {
			msg = fmt.Sprintf("there are no buttons to press: request %s moved on since its card; /tfpilot status %s shows it with its buttons",
				registry.Label(of), registry.Label(of))
		}
		return flow.Userf(flow.ErrBadEvent, msg)
	}
	if n > len(buttons) {
		return flow.Userf(flow.ErrBadEvent, fmt.Sprintf("the last card has %d button(s), not %d", len(buttons), n))
	}
	b := buttons[n-1]
	eng := c.engine()
	switch b.Action {
	case card.ActChooseProject, card.ActChooseModule:
		id, project, module, _ := card.ParseChoice(b.Value)
		r, err := eng.Find(ctx, id)
		if err != nil {
			return err
		}
		ch := card.Choice{Policy: ptr(eng.Policy()), Actor: ptr(c.Actor()), Project: project, Module: module}
		if cat, err := eng.Catalog(ctx, projectOf(eng.Policy(), project)); err == nil {
			ch.Catalog = cat
		}
		c.show(card.ModuleChoice(r, ch), r.ID)
		return nil
	case card.ActChooseEnv:
		id, project, module, env := card.ParseChoice(b.Value)
		ev := c.event(flow.EvChooseModule)
		ev.Project, ev.Module, ev.Environment, ev.TriggerID = project, module, env, triggerID
		return c.handle(ctx, id, ev)
	}
	id, pressed, ok := card.ActionEvent(b.Action, b.Value)
	if !ok {
		return fmt.Errorf("button %q: action %s is not handled by the console", b.Text, b.Action)
	}
	ev := c.event(pressed.Kind)
	ev.Accepts, ev.PlanRunID, ev.PlanSHA = pressed.Accepts, pressed.PlanRunID, pressed.PlanSHA
	if b.Action == card.ActEdit {
		ev.TriggerID = triggerID
	}
	r, err := c.engine().Handle(ctx, id, ev)
	if errors.Is(err, flow.ErrPlanChanged) && r != nil {
		// The card pressed showed another plan: the refusal, then the
		// request as it is now, whose buttons the numbers press.
		c.problem(err)
		c.showRequest(ctx, r)
		return nil
	}
	if err != nil {
		return c.withNextStep(ctx, err, id)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// problem prints an error the way a person should see it: refusals and
// input problems as they are, anything else as "something went wrong" with
// a reference whose details go to the log.
func (c *Console) problem(err error) {
	if err == nil {
		return
	}
	var ue *flow.UserError
	var ies registry.InputErrors
	var usage *command.UsageError
	var syntax *command.SyntaxError
	var h *hinted
	switch {
	case errors.As(err, &h):
		c.problem(h.err)
		c.printf("%s\n", h.hint)
	case errors.As(err, &ue) && errors.Is(err, flow.ErrDenied):
		c.printf("%s %s\n", c.style.red("refused:"), ue.Msg)
	case errors.As(err, &ue):
		c.printf("%s\n", ue.Msg)
	case errors.As(err, &ies):
		var b strings.Builder
		b.WriteString(c.style.red("input problems:") + "\n")
		for _, ie := range ies {
			fmt.Fprintf(&b, "  %s: %s\n", ie.Field, ie.Reason)
		}
		b.WriteString(c.inputsFix(err) + "\n")
		c.printf("%s", b.String())
	case errors.As(err, &usage):
		c.printf("%s\n", withHelp(usage.Msg))
	case errors.As(err, &syntax):
		c.printf("%s\n", withHelp(syntax.Msg))
	default:
		var ref [4]byte
		_, _ = rand.Read(ref[:])
		id := hex.EncodeToString(ref[:])
		c.opts.Logger.Error("console command failed", "ref", id, "err", err)
		c.printf("%s something went wrong (ref %s); details are in the log.\n", c.style.red("error:"), id)
	}
}

// inputsFix says what became of a line with input problems and what to do.
func (c *Console) inputsFix(err error) string {
	c.mu.Lock()
	id := c.current
	c.mu.Unlock()
	var notSet *flow.InputsNotSet
	if errors.As(err, &notSet) {
		if notSet.Request == "" {
			return "Nothing was created: send the /tfpilot new line again with these corrected; /tfpilot modules lists every input."
		}
		id = notSet.Request
		if len(notSet.Set) > 0 {
			return fmt.Sprintf("The rest of that line was set (%s); send these again corrected (they go to request %s).",
				strings.Join(notSet.Set, ", "), registry.Label(id))
		}
	}
	fix := "Nothing on that line was set: send it again with these corrected"
	if id != "" {
		fix += " (it goes to request " + registry.Label(id) + ")"
	}
	return fix + "; Edit inputs on its card lists every input."
}

// withHelp ends a usage message with a pointer to help unless it already
// mentions help.
func withHelp(msg string) string {
	if strings.Contains(msg, "help") {
		return msg
	}
	return msg + " (type help)"
}

// echoed is a piped line as the transcript repeats it: the value of each
// input that the module marks sensitive is replaced by flow.Redacted (the
// whole line, should that value not appear in it as typed). The module is
// the one a /tfpilot new line names, else the current request's; a line
// that does not parse is echoed as typed.
func (c *Console) echoed(ctx context.Context, text string) string {
	l, err := parseLine(text)
	if err != nil {
		return text
	}
	eng := c.engine()
	var project, module string
	var inputs map[string]string
	switch {
	case l.kind == lineCommand && l.cmd.Verb == command.VerbNew:
		project, module, inputs = l.cmd.Project, l.cmd.Module, l.cmd.Inputs
		if ps := eng.Policy().Projects; project == "" && len(ps) == 1 {
			project = ps[0].Name
		}
	case l.kind == lineAssign:
		c.mu.Lock()
		id := c.current
		c.mu.Unlock()
		r, err := eng.Find(ctx, id)
		if id == "" || err != nil {
			return text
		}
		project, module, inputs = r.Project, r.Module, l.inputs
	default:
		return text
	}
	cat, err := eng.Catalog(ctx, project)
	if err != nil {
		return text
	}
	m, ok := cat.Module(module)
	if !ok {
		return text
	}
	for k, v := range inputs {
		if !m.IsSensitive(k) || v == "" {
			continue
		}
		if !strings.Contains(text, v) {
			return "(a line with a sensitive value, not repeated)"
		}
		text = strings.ReplaceAll(text, v, flow.Redacted)
	}
	return text
}
