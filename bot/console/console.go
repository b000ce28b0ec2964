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

// Engine is what the console's input loop needs of flow.Engine. The
// Screen, which draws what the engine shows, needs none of it.
type Engine interface {
	Open(ctx context.Context, ev flow.Event) (*flow.Request, error)
	Handle(ctx context.Context, id string, ev flow.Event) (*flow.Request, error)
	Find(ctx context.Context, ref string) (*flow.Request, error)
	List(ctx context.Context, f flow.Filter) ([]*flow.Request, error)
	Catalog(ctx context.Context, project string) (*registry.Catalog, error)
	Policy() flow.Policy
	// View gathers what a request's card shows, for the status command.
	View(ctx context.Context, r *flow.Request) flow.View
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

// Screen is the terminal's output: the engine's Chat port (cards, replies,
// notifications, forms), drawn from what each call carries. It needs no
// engine. The input loop (Console) prints through it too, so everything
// on the terminal is serialised, and reads back which buttons the numbers
// press.
type Screen struct {
	opts  Options
	style style

	mu        sync.Mutex       // guards everything below, the Console's actor and seq, and writes to Out
	buttons   []card.Button    // of the last card shown, in number order
	buttonsOf string           // request whose card the buttons belong to ("" for a list or choice)
	current   string           // request of the last card shown
	views     map[string]*view // what was last printed per request
}

var _ flow.Chat = (*Screen)(nil)

// NewScreen returns a screen writing to opts.Out.
func NewScreen(opts Options) *Screen {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.User == "" {
		opts.User = "you"
	}
	return &Screen{opts: opts, style: style{color: opts.Color}, views: map[string]*view{}}
}

// Console is the terminal's input: Run reads lines and takes them to the
// engine, printing through its Screen.
type Console struct {
	*Screen
	eng     Engine
	session string // makes event keys unique across runs on the same data

	actor flow.Actor // guarded by Screen.mu
	seq   int        // guarded by Screen.mu
}

// New returns the input loop of screen s, driving eng.
func New(s *Screen, eng Engine) *Console {
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	return &Console{Screen: s, eng: eng, session: hex.EncodeToString(nonce[:]),
		actor: flow.Actor{ID: s.opts.User, Name: s.opts.User}}
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
func (c *Screen) ShowCard(ctx context.Context, v flow.View) (flow.Thread, error) {
	r := v.Request
	th := r.Thread
	if th.TS == "" {
		th = flow.Thread{Channel: Channel, TS: r.ID}
	}
	opts := cardOptions(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.views[r.ID]
	if prev != nil && r.Version != 0 && r.Version < prev.version {
		return th, nil // an older record than one already shown
	}
	shown := view{version: r.Version, line: statusLine(r, opts.Policy)}
	if prev != nil {
		shown = *prev
		shown.version = max(shown.version, r.Version)
	}
	if wantsFullCard(r, prev) {
		text, buttons := RenderCard(card.ForRequest(r, opts), c.opts.Color)
		shown.state, shown.planRun, shown.problem, shown.line = r.State, planRunID(r), r.Problem, statusLine(r, opts.Policy)
		if prev == nil || text != prev.text {
			shown.text, shown.reply = text, ""
			c.buttons, c.buttonsOf, c.current = buttons, r.ID, r.ID
			c.write(text)
		}
		c.views[r.ID] = &shown
		return th, nil
	}
	line := statusLine(r, opts.Policy)
	if line != shown.line {
		shown.line = line
		if c.buttonsOf == r.ID {
			// The buttons of the last full card no longer fit the state.
			c.buttons, c.buttonsOf = nil, r.ID
		}
		if !replyFollows(r) {
			shown.reply = ""
			c.write(fmt.Sprintf("[%s] %s\n", card.ShortID(r), line))
		}
	}
	c.views[r.ID] = &shown
	return th, nil
}

// showRequest prints r's full card (the status command) and remembers it.
// The card is drawn from the engine's view, as the engine's own cards are.
func (c *Console) showRequest(ctx context.Context, r *flow.Request) {
	c.showFull(c.eng.View(ctx, r))
}

// showFull prints the full card of v's request and remembers it.
func (c *Screen) showFull(fv flow.View) {
	r, opts := fv.Request, cardOptions(fv)
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
func (c *Screen) Reply(ctx context.Context, r *flow.Request, text string) error {
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
func (c *Screen) Notify(ctx context.Context, r *flow.Request, _, text string) error {
	c.printf("%s [%s] %s\n", c.style.dim("[notifications]"), card.ShortID(r), text)
	return nil
}

// OpenInputs prints the module's inputs and how to set them.
func (c *Screen) OpenInputs(ctx context.Context, r *flow.Request, m *registry.Module, _ string) error {
	c.printf("[%s] %s", card.ShortID(r), RenderForm(card.ForModule(m, r)))
	return nil
}

// cardOptions is what the card of v's request is drawn with. Buttons are
// not filtered by viewer: anyone at the terminal may press any button, and
// the engine's refusal is the lesson.
func cardOptions(v flow.View) card.Options {
	return card.Options{Policy: &v.Policy, Outlook: &v.Outlook, Catalog: v.Catalog, Preview: v.Preview, Derived: v.Derived}
}

// projectOf is the request's project, or the only one the policy has.
func projectOf(pol flow.Policy, project string) string {
	if project == "" && len(pol.Projects) == 1 {
		return pol.Projects[0].Name
	}
	return project
}

// show prints a card and remembers its buttons (and its request, if any).
func (c *Screen) show(cd card.Card, requestID string) {
	text, buttons := RenderCard(cd, c.opts.Color)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buttons, c.buttonsOf = buttons, requestID
	if requestID != "" {
		c.current = requestID
	}
	c.write(text)
}

func (c *Screen) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write(fmt.Sprintf(format, args...))
}

// write prints text, made safe for a terminal (style.clean): everything
// the console shows goes through here or prompt. The caller holds c.mu. A
// failed terminal write has nowhere better to be reported.
func (c *Screen) write(text string) {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, _ = io.WriteString(c.opts.Out, c.style.clean(text))
}

func (c *Console) engine() Engine { return c.eng }
