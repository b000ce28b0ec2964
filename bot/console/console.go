package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Engine is what the console needs of flow.Engine.
type Engine interface {
	Open(ctx context.Context, ev flow.Event) (*flow.Request, error)
	Handle(ctx context.Context, id string, ev flow.Event) (*flow.Request, error)
	Find(ctx context.Context, ref string) (*flow.Request, error)
	List(ctx context.Context, f flow.Filter) ([]*flow.Request, error)
	Catalog(ctx context.Context, project string) (*registry.Catalog, error)
	Policy() flow.Policy
	Preview(ctx context.Context, r *flow.Request) (registry.File, error)
	// Settle waits until the engine has no effect running or ready to run.
	Settle(ctx context.Context) error
}

// Options configure a Console.
type Options struct {
	// Out receives everything the console shows.
	Out io.Writer
	// Color turns on ANSI styling (only for a terminal).
	Color bool
	// Interactive prints a prompt before each line; otherwise each input
	// line is echoed after "<user>> ", so a piped script reads as a
	// conversation in the output.
	Interactive bool
	// User is who types, until /as changes it.
	User string
	// Logger receives the details of unexpected errors; default: discard.
	Logger *slog.Logger
}

// Channel is the thread channel of requests started in the console.
const Channel = "console"

// triggerID asks the engine to "open the input form", which the console
// prints as text.
const triggerID = "console"

// Console is the terminal chat. It implements flow.Chat; Run reads input.
// Output from the engine's effects and from the input loop is serialised.
type Console struct {
	opts    Options
	style   style
	session string // makes event keys unique across runs on the same data

	mu        sync.Mutex // guards everything below and writes to Out
	eng       Engine
	actor     flow.Actor
	buttons   []card.Button // of the last card shown, in number order
	buttonsOf string        // request whose card the buttons belong to ("" for a list or choice)
	current   string        // request of the last card shown
	seq       int
	views     map[string]*view // what was last printed per request
}

var _ flow.Chat = (*Console)(nil)

// New returns a console writing to opts.Out.
func New(opts Options) *Console {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.User == "" {
		opts.User = "you"
	}
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	return &Console{
		opts: opts, style: style{color: opts.Color}, session: hex.EncodeToString(nonce[:]),
		actor: flow.Actor{ID: opts.User, Name: opts.User}, views: map[string]*view{},
	}
}

// Attach gives the console the engine it drives. The engine is built with
// the console as its Chat, so it is attached afterwards, before either runs.
func (c *Console) Attach(e Engine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.eng = e
}

// Actor is who the console acts as now.
func (c *Console) Actor() flow.Actor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.actor
}

// ShowCard shows an update of the request without repeating what the
// person has already seen: the full card when the request first appears,
// when it enters a state that asks someone to act (review, approve, apply,
// fix) and when a new plan is ready; otherwise one status line, left out
// when a thread reply tells the same transition or nothing changed. The
// full card's buttons become the ones numbers press, and its request the
// current one for key=value lines.
func (c *Console) ShowCard(ctx context.Context, r *flow.Request) (flow.Thread, error) {
	th := r.Thread
	if th.TS == "" {
		th = flow.Thread{Channel: Channel, TS: r.ID}
	}
	opts := c.cardOptions(ctx, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.views[r.ID]
	if prev != nil && r.Version != 0 && r.Version < prev.version {
		return th, nil // an older record than one already shown
	}
	v := view{version: r.Version, line: statusLine(r, opts.Policy)}
	if prev != nil {
		v = *prev
		v.version = max(v.version, r.Version)
	}
	if wantsFullCard(r, prev) {
		text, buttons := RenderCard(card.ForRequest(r, opts), c.opts.Color)
		v.state, v.planRun, v.problem, v.line = r.State, planRunID(r), r.Problem, statusLine(r, opts.Policy)
		if prev == nil || text != prev.text {
			v.text, v.reply = text, ""
			c.buttons, c.buttonsOf, c.current = buttons, r.ID, r.ID
			c.write(text)
		}
		c.views[r.ID] = &v
		return th, nil
	}
	line := statusLine(r, opts.Policy)
	if line != v.line {
		v.line = line
		if c.buttonsOf == r.ID {
			// The buttons of the last full card no longer fit the state.
			c.buttons, c.buttonsOf = nil, r.ID
		}
		if !replyFollows(r) {
			v.reply = ""
			c.write(fmt.Sprintf("[%s] %s\n", card.ShortID(r), line))
		}
	}
	c.views[r.ID] = &v
	return th, nil
}

// showRequest prints r's full card (the status command) and remembers it.
func (c *Console) showRequest(ctx context.Context, r *flow.Request) {
	opts := c.cardOptions(ctx, r)
	text, buttons := RenderCard(card.ForRequest(r, opts), c.opts.Color)
	c.mu.Lock()
	defer c.mu.Unlock()
	v := view{version: r.Version, state: r.State, planRun: planRunID(r), problem: r.Problem, line: statusLine(r, opts.Policy), text: text}
	if prev := c.views[r.ID]; prev != nil {
		v.version = max(v.version, prev.version)
	}
	c.views[r.ID] = &v
	c.buttons, c.buttonsOf, c.current = buttons, r.ID, r.ID
	c.write(text)
}

// Reply prints a message in the request's thread, labelled with the
// request's own short ID.
// A reply delivered twice in a row (effects run at least once) is printed
// once.
func (c *Console) Reply(ctx context.Context, r *flow.Request, text string) error {
	line := fmt.Sprintf("[%s] %s\n", card.ShortID(r), text)
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.views[r.ID]
	if v == nil {
		v = &view{}
		c.views[r.ID] = v
	}
	if v.reply == line {
		return nil
	}
	v.reply = line
	c.write(line)
	return nil
}

// Notify prints a message as if posted to the notifications channel,
// labelled with the request's own short ID.
func (c *Console) Notify(ctx context.Context, r *flow.Request, text string) error {
	c.printf("%s [%s] %s\n", c.style.dim("[notifications]"), card.ShortID(r), text)
	return nil
}

// OpenInputs prints the module's inputs and how to set them.
func (c *Console) OpenInputs(ctx context.Context, r *flow.Request, _ string) error {
	eng := c.engine()
	if eng == nil {
		return nil
	}
	cat, err := eng.Catalog(ctx, r.Project)
	if err != nil {
		return err
	}
	m, ok := cat.Module(r.Module)
	if !ok {
		return fmt.Errorf("open inputs of %s: module %s is not in the catalogue", r.ID, r.Module)
	}
	c.printf("[%s] %s", card.ShortID(r), RenderForm(card.ForModule(m, r)))
	return nil
}

// cardOptions gathers what a request's card needs from the engine: the
// policy, the catalogue while choosing, the rendered file while confirming.
// Buttons are not filtered by viewer: anyone at the terminal may press any
// button, and the engine's refusal is the lesson.
func (c *Console) cardOptions(ctx context.Context, r *flow.Request) card.Options {
	eng := c.engine()
	if eng == nil {
		return card.Options{}
	}
	pol := eng.Policy()
	opts := card.Options{Policy: &pol}
	switch r.State {
	case flow.ChoosingModule:
		if cat, err := eng.Catalog(ctx, projectOf(pol, r.Project)); err == nil {
			opts.Catalog = cat
		}
	case flow.Confirming:
		if f, err := eng.Preview(ctx, r); err == nil {
			opts.Preview = &f
		} else {
			c.opts.Logger.Warn("preview for card", "request", r.ID, "err", err)
		}
		if cat, err := eng.Catalog(ctx, r.Project); err == nil {
			if m, ok := cat.Module(r.Module); ok {
				opts.Derived, _ = m.DerivedNames(r.Project, r.Environment, r.Inputs)
			}
		}
	}
	return opts
}

// projectOf is the request's project, or the only one the policy has.
func projectOf(pol flow.Policy, project string) string {
	if project == "" && len(pol.Projects) == 1 {
		return pol.Projects[0].Name
	}
	return project
}

// show prints a card and remembers its buttons (and its request, if any).
func (c *Console) show(cd card.Card, requestID string) {
	text, buttons := RenderCard(cd, c.opts.Color)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buttons, c.buttonsOf = buttons, requestID
	if requestID != "" {
		c.current = requestID
	}
	c.write(text)
}

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write(fmt.Sprintf(format, args...))
}

// write prints text; the caller holds c.mu. A failed terminal write has
// nowhere better to be reported.
func (c *Console) write(text string) {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, _ = io.WriteString(c.opts.Out, text)
}

func (c *Console) engine() Engine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eng
}
