package flow

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	parked := e.parked(r.ID)
	// r may have been read before a write that acknowledged some of its
	// effects and unparked them (a person's event folding the parked
	// acknowledgements): those effects would look owed and not parked, and
	// run twice. The record this engine last wrote is taken before the
	// acknowledgements are unparked (see write), so it is at least as new
	// as what the parked list just said.
	if w := e.written(r.ID); w != nil && w.Version > r.Version {
		r = w
	}
	cur := cloneRequest(*r)
	for _, ev := range parked {
		if ev.Kind == EvThreadStarted && ev.Thread != nil && cur.Thread.TS == "" {
			cur.Thread = *ev.Thread // its write failed; the thread exists all the same
		}
	}
	var acks []Event
	ack := func(eff Effect, kind EventKind, th *Thread) {
		acks = append(acks, Event{Kind: kind, Key: eff.ID, EffectID: eff.ID, Actor: System, At: e.cfg.Now(), Thread: th})
	}
	var wait time.Duration
	cardShown, cardFailed := false, false
	for _, eff := range r.Owed {
		if heavy(eff.Kind) || ctx.Err() != nil || containsEffect(parked, eff.ID) {
			continue
		}
		if d := e.backingOff(eff.ID); d > 0 {
			wait = minPositive(wait, d)
			if eff.Kind == EffShowCard {
				cardFailed = true
			}
			continue
		}
		var err error
		switch eff.Kind {
		case EffRecordAudit:
			if eff.Audit == nil {
				ack(eff, EvEffectDone, nil)
				continue
			}
			err = e.try(ctx, work, eff.Kind, func(ctx context.Context) error { return e.cfg.Audit.Record(ctx, *eff.Audit) })
		case EffShowCard:
			if cardShown {
				ack(eff, EvEffectDone, nil)
				continue
			}
			var th Thread
			v := e.View(work, &cur)
			err = e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
				th, err = e.cfg.Chat.ShowCard(ctx, v)
				return err
			})
			if err == nil {
				cardShown = true
				if cur.Thread.TS == "" && th.TS != "" {
					cur.Thread = th
					ack(eff, EvThreadStarted, &th)
					continue
				}
			} else {
				cardFailed = true
			}
		case EffReply, EffNotify:
			if cardFailed && cur.Thread.TS == "" {
				continue // no thread to reply in yet; the card goes first
			}
			send := e.cfg.Chat.Reply
			if eff.Kind == EffNotify {
				channel := e.cfg.Policy.NotifyChannelFor(cur.Environment)
				send = func(ctx context.Context, r *Request, text string) error {
					return e.cfg.Chat.Notify(ctx, r, channel, text)
				}
			}
			err = e.try(ctx, work, eff.Kind, func(ctx context.Context) error { return send(ctx, &cur, eff.Text) })
		case EffOpenModal:
			err = e.try(ctx, work, eff.Kind, func(ctx context.Context) error {
				m, err := e.module(ctx, orProject(e.cfg.Policy, "", cur.Project), cur.Module)
				if err != nil {
					return err
				}
				return e.cfg.Chat.OpenInputs(ctx, &cur, m, eff.TriggerID)
			})
			if err != nil && ctx.Err() == nil {
				e.logFor(r.ID).Warn("input form not opened; the card offers it again", "err", err)
				err = nil
			}
		}
		if err != nil {
			if ctx.Err() == nil && work.Err() == nil {
				e.logFor(r.ID).Warn("effect failed; kept owed", "effect", eff.ID, "err", err)
				e.setBackoff(eff.ID, e.cfg.Retry.Max)
				wait = minPositive(wait, e.cfg.Retry.Max)
			}
			continue
		}
		e.clearBackoff(eff.ID)
		ack(eff, EvEffectDone, nil)
	}
	if len(acks) == 0 {
		return false, wait
	}
	e.parkAcks(r.ID, acks)
	if slices.ContainsFunc(acks, func(ev Event) bool { return ev.Kind == EvThreadStarted }) {
		if err := e.flushAcks(work, r.ID); err != nil {
			e.logFor(r.ID).Error("acknowledge effects", "err", err)
			return true, minPositive(wait, e.cfg.Retry.Base)
		}
	}
	return true, wait
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 {
		return b
	}
	return min(a, b)
}

func (e *Engine) backingOff(id string) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	nb, ok := e.notBefore[id]
	if !ok {
		return 0
	}
	d := time.Until(nb)
	if d <= 0 {
		delete(e.notBefore, id)
		return 0
	}
	return d
}

func (e *Engine) setBackoff(id string, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notBefore[id] = time.Now().Add(d)
}

func (e *Engine) clearBackoff(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.notBefore, id)
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
