package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tfpilot/tfpilot/registry"
)

// runLight runs r's owed light effects (audit, card, reply, notification,
// form) in Seq order and parks their acknowledgements to be folded into the
// request's next write (engine_ack.go); effects already run and parked are
// skipped. Several owed cards are shown once, from the latest record. An
// effect that keeps failing stays owed and waits Retry.Max before its next
// round; only a form whose trigger has expired is given up. It returns
// whether any effect ran and, if some wait in backoff, how long until the
// next one.
func (e *Engine) runLight(ctx, work context.Context, r *Request) (bool, time.Duration) {
	parked := e.acks.of(r.ID)
	// r may have been read before a write that acknowledged some of its
	// effects and unparked them (a person's event folding the parked
	// acknowledgements): those effects would look owed and not parked, and
	// run twice. The record this engine last wrote is kept before the
	// acknowledgements are unparked (see write), so it is at least as new
	// as what the parked list just said.
	if w := e.written.get(r.ID); w != nil && w.Version > r.Version {
		r = w
	}
	l := &lightRound{e: e, ctx: ctx, work: work, cur: cloneRequest(*r)}
	for _, ev := range parked {
		if ev.Kind == EvThreadStarted && ev.Thread != nil && l.cur.Thread.TS == "" {
			l.cur.Thread = *ev.Thread // its write failed; the thread exists all the same
		}
	}
	var wait time.Duration
	for _, eff := range r.Owed {
		if eff.Kind.Heavy() || ctx.Err() != nil || containsEffect(parked, eff.ID) {
			continue
		}
		if d := e.backoffs.wait(r.ID, eff.ID); d > 0 {
			wait = minPositive(wait, d)
			if eff.Kind == EffShowCard {
				l.cardFailed = true
			}
			continue
		}
		tried, err := l.run(eff)
		switch {
		case err != nil && ctx.Err() == nil && work.Err() == nil:
			e.logFor(r.ID).Warn("effect failed; kept owed", "effect", eff.ID, "err", err)
			e.backoffs.set(r.ID, eff.ID, e.cfg.Retry.Max)
			wait = minPositive(wait, e.cfg.Retry.Max)
		case err == nil && tried:
			e.backoffs.clear(r.ID, eff.ID)
		}
	}
	if len(l.acks) == 0 {
		return false, wait
	}
	e.acks.park(r.ID, l.acks)
	if slices.ContainsFunc(l.acks, func(ev Event) bool { return ev.Kind == EvThreadStarted }) {
		if err := e.flushAcks(work, r.ID); err != nil {
			e.logFor(r.ID).Error("acknowledge effects", "err", err)
			return true, minPositive(wait, e.cfg.Retry.Base)
		}
	}
	return true, wait
}

// lightRound is one pass of runLight over a request's owed light effects.
type lightRound struct {
	e         *Engine
	ctx, work context.Context
	// cur is the request as the chat shows it: with its thread as soon as
	// a card started one.
	cur        Request
	acks       []Event
	cardShown  bool // a card was shown this round: the others owed are done with it
	cardFailed bool // the card failed (or waits): replies wait for its thread
}

func (l *lightRound) ack(eff Effect, kind EventKind, th *Thread) {
	l.acks = append(l.acks, Event{Kind: kind, Key: eff.ID, EffectID: eff.ID, Actor: System, At: l.e.cfg.Now(), Thread: th})
}

// run runs one light effect through its port and acknowledges it. It
// reports false when the effect was left for later untried (a reply that
// waits for the card's thread).
func (l *lightRound) run(eff Effect) (bool, error) {
	e, ctx, work := l.e, l.ctx, l.work
	var err error
	switch eff.Kind {
	case EffRecordAudit:
		if eff.Audit != nil {
			err = e.try(ctx, work, eff.Kind, func(ctx context.Context) error { return e.cfg.Audit.Record(ctx, *eff.Audit) })
		}
	case EffShowCard:
		if !l.cardShown {
			return true, l.showCard(eff)
		}
	case EffReply, EffNotify:
		if l.cardFailed && l.cur.Thread.TS == "" {
			return false, nil // no thread to reply in yet; the card goes first
		}
		err = e.try(ctx, work, eff.Kind, func(ctx context.Context) error {
			if eff.Kind == EffNotify {
				return e.cfg.Chat.Notify(ctx, &l.cur, e.cfg.Policy.NotifyChannelFor(l.cur.Environment), eff.Text)
			}
			return e.cfg.Chat.Reply(ctx, &l.cur, eff.Text)
		})
	case EffOpenModal:
		err = e.try(ctx, work, eff.Kind, func(ctx context.Context) error {
			m, err := e.module(ctx, orProject(e.cfg.Policy, "", l.cur.Project), l.cur.Module)
			if err != nil {
				return err
			}
			return e.cfg.Chat.OpenInputs(ctx, &l.cur, m, eff.TriggerID)
		})
		if err != nil && ctx.Err() == nil {
			e.logFor(l.cur.ID).Warn("input form not opened; the card offers it again", "err", err)
			l.formRefused(err)
			err = nil
		}
	}
	if err != nil {
		return true, err
	}
	l.ack(eff, EvEffectDone, nil)
	return true, nil
}

// showCard shows the card of the request with everything it needs (View),
// and acknowledges it with the thread when it started one.
func (l *lightRound) showCard(eff Effect) error {
	e := l.e
	v, missing := e.view(l.work, &l.cur)
	if missing != nil && l.cur.Thread.TS != "" {
		// Drawn now, the card would offer an empty catalogue (or no
		// preview) until the next transition; the card shown stays until
		// the effect's next try. A first card is drawn all the same: the
		// thread it starts is where everything else goes.
		l.cardFailed = true
		return fmt.Errorf("card of %s: %w", l.cur.ID, missing)
	}
	var th Thread
	err := e.try(l.ctx, l.work, eff.Kind, func(ctx context.Context) (err error) {
		th, err = e.cfg.Chat.ShowCard(ctx, v)
		return err
	})
	if err != nil {
		l.cardFailed = true
		return err
	}
	l.cardShown = true
	started := l.cur.Thread.TS == "" && th.TS != ""
	if started {
		l.cur.Thread = th
	}
	// The pull request's record shows what the card shows, for reviewers;
	// a temporary failure keeps the card owed, so both are tried again (a
	// refusal for good is given up inside record).
	if err := e.record(l.ctx, l.work, &l.cur); err != nil {
		if started {
			l.ack(eff, EvThreadStarted, &th) // the thread exists; the record waits for the next card
		}
		return err
	}
	if started {
		l.ack(eff, EvThreadStarted, &th)
		return nil
	}
	l.ack(eff, EvEffectDone, nil)
	return nil
}

// record writes r's record on its pull request (RecordText), when it has
// one and the record changed since this engine last wrote it. Only a
// temporary failure (ErrTransient) is returned, to be tried again with the
// card. Any other failure (GitHub's 403 when the App lacks
// pull_requests:write) would fail the same way at every try and keep the
// card owed for ever: it is logged once and the record of r is given up
// until the engine restarts; the card goes on without it.
func (e *Engine) record(ctx, work context.Context, r *Request) error {
	if r.Change == nil || r.Change.Number == 0 || e.records.refused(r.ID) {
		return nil
	}
	body := RecordText(r)
	if e.records.unchanged(r.ID, body) {
		return nil
	}
	var refusal error
	err := e.try(ctx, work, EffShowCard, func(ctx context.Context) error {
		err := e.cfg.Repo.RecordOnChange(ctx, r.Project, *r.Change, body)
		if err != nil && !errors.Is(err, ErrTransient) && ctx.Err() == nil {
			refusal = err
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("record on pull request of %s: %w", r.ID, err)
	}
	if refusal != nil {
		e.records.refuse(r.ID)
		e.logFor(r.ID).Warn("pull request record refused; not written again for this request", "err", refusal)
		return nil
	}
	e.records.wrote(r.ID, body)
	return nil
}

// formRefused tells the thread why an input form cannot open when the
// reason is the person's to act on (the module left the catalogue):
// otherwise pressing Edit would do nothing, with no word why. The reply is
// best effort, like the form.
func (l *lightRound) formRefused(err error) {
	var ue *UserError
	if !errors.As(err, &ue) {
		return
	}
	text := "The input form cannot open: " + ue.Msg + ". Cancel this request and start a new one."
	if rerr := l.e.try(l.ctx, l.work, EffReply, func(ctx context.Context) error { return l.e.cfg.Chat.Reply(ctx, &l.cur, text) }); rerr != nil {
		l.e.logFor(l.cur.ID).Warn("reply why the input form did not open", "err", rerr)
	}
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 {
		return b
	}
	return min(a, b)
}

// backoffs holds the light effects that failed and wait before their next
// try, keyed by request and effect (effect IDs repeat across requests). It
// has its own lock. A wait is a timer, not a reading of the clock: the
// engine reads time only through Config.Now, which tests hold still.
type backoffs struct {
	onDone func(id string) // wakes the request's runner when a wait ends

	mu      sync.Mutex
	waiting map[backoffKey]*backoffWait
}

type backoffKey struct{ request, effect string }

type backoffWait struct {
	d     time.Duration
	timer *time.Timer
}

func newBackoffs(onDone func(id string)) *backoffs {
	return &backoffs{onDone: onDone, waiting: map[backoffKey]*backoffWait{}}
}

// wait is at most how long effect effID of request id must still wait (0:
// it may run now); its timer wakes the runner when the wait ends.
func (b *backoffs) wait(id, effID string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w := b.waiting[backoffKey{id, effID}]; w != nil {
		return w.d
	}
	return 0
}

// set makes effect effID of request id wait d before its next try.
func (b *backoffs) set(id, effID string, d time.Duration) {
	k := backoffKey{id, effID}
	w := &backoffWait{d: d}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.waiting[k]; old != nil {
		old.timer.Stop()
	}
	b.waiting[k] = w
	w.timer = time.AfterFunc(d, func() {
		b.mu.Lock()
		if b.waiting[k] == w {
			delete(b.waiting, k)
		}
		b.mu.Unlock()
		b.onDone(id)
	})
}

// clear lets effect effID of request id run at once (it succeeded).
func (b *backoffs) clear(id, effID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w := b.waiting[backoffKey{id, effID}]; w != nil {
		w.timer.Stop()
		delete(b.waiting, backoffKey{id, effID})
	}
}

// String lists the effects in backoff (for debugging).
func (b *backoffs) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for k := range b.waiting {
		out = append(out, k.request+"/"+k.effect)
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

// changeTitle is the pull request title of r.
func changeTitle(r *Request) string {
	if r.Kind == KindDestroy {
		return fmt.Sprintf("tfpilot: destroy %s in %s (%s)", r.Label, r.Environment, registry.Label(r.ID))
	}
	return fmt.Sprintf("tfpilot: %s in %s (%s)", r.Module, r.Environment, r.Label)
}

// changeBody is the pull request description of r: what, where, who, and
// the inputs with sensitive values redacted.
func changeBody(r *Request) string {
	var b strings.Builder
	if r.Kind == KindDestroy {
		fmt.Fprintf(&b, "Destroys request `%s` (%s): deletes `%s`.\n\n", r.Target, r.Label, r.File)
	} else {
		fmt.Fprintf(&b, "Adds module `%s` to `%s`.\n\n", r.Module, r.Environment)
	}
	fmt.Fprintf(&b, "- Request: `%s`\n- Project: `%s`\n- Environment: `%s`\n- Module: `%s`\n- Requested by: %s\n",
		r.ID, r.Project, r.Environment, r.Module, displayName(r.Requester))
	if r.Thread.URL != "" {
		fmt.Fprintf(&b, "- Thread: %s\n", r.Thread.URL)
	}
	if len(r.Inputs) > 0 {
		b.WriteString("\n| input | value |\n|---|---|\n")
		red := RedactInputs(r.Inputs, r.Sensitive)
		keys := make([]string, 0, len(red))
		for k := range red {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := strings.NewReplacer("|", `\|`, "\n", " ").Replace(red[k])
			fmt.Fprintf(&b, "| `%s` | `%s` |\n", k, v)
		}
	}
	b.WriteString("\nOpened by TfPilot. Plan and apply run from the thread; do not merge by hand.\n")
	return b.String()
}
