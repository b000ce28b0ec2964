package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
	"go.uber.org/zap"
)

// cardFor builds r's channel card, loading what its state needs: the
// catalogue while choosing, the rendered file and derived names while
// confirming. A missing extra degrades the card instead of failing it.
func (s *Slack) cardFor(ctx context.Context, r *flow.Request) card.Card {
	eng := s.engine()
	pol := eng.Policy()
	opts := card.Options{Policy: &pol}
	switch r.State {
	case flow.ChoosingModule:
		if p := s.defaultProject(r.Project); p != "" {
			if cat, err := s.catalogs.get(ctx, eng, p); err == nil {
				opts.Catalog = cat
			} else {
				s.log.Warn("catalogue for card", append(requestFields(r), zap.Error(err))...)
			}
		}
	case flow.Confirming:
		if f, err := eng.Preview(ctx, r); err == nil {
			opts.Preview = &f
		} else {
			s.log.Warn("preview for card", append(requestFields(r), zap.Error(err))...)
		}
		if cat, err := s.catalogs.get(ctx, eng, r.Project); err == nil {
			if m, ok := cat.Module(r.Module); ok {
				opts.Derived, _ = m.DerivedNames(r.Project, r.Environment, r.Inputs)
			}
		}
	}
	return card.ForRequest(r, opts)
}

// ShowCard posts r's card as a new thread root when r has no thread yet,
// and otherwise updates it in place.
func (s *Slack) ShowCard(ctx context.Context, r *flow.Request) (flow.Thread, error) {
	m := Render(s.cardFor(ctx, r))
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	th := r.Thread
	if th.Channel == "" {
		return th, errors.New("show card: the request has no channel")
	}
	if th.TS != "" {
		err := retry(ctx, func() error {
			_, _, _, err := s.api.UpdateMessageContext(ctx, th.Channel, th.TS, opts...)
			return err
		})
		if err != nil {
			return th, fmt.Errorf("update card of %s: %w", r.ID, err)
		}
		return th, nil
	}
	if err := s.pace.wait(ctx, th.Channel); err != nil {
		return th, err
	}
	err := retry(ctx, func() (err error) {
		_, th.TS, err = s.api.PostMessageContext(ctx, th.Channel, opts...)
		return err
	})
	if err != nil {
		return r.Thread, fmt.Errorf("post card of %s: %w", r.ID, err)
	}
	th.URL = s.permalink(ctx, th.Channel, th.TS)
	return th, nil
}

// permalink asks Slack for a message's link, falling back to the
// workspace URL pattern.
func (s *Slack) permalink(ctx context.Context, channel, ts string) string {
	var url string
	err := retry(ctx, func() (err error) {
		url, err = s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err == nil && url != "" {
		return url
	}
	base := s.teamURL
	if base == "" {
		base = "https://slack.com/"
	}
	return strings.TrimSuffix(base, "/") + "/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

// Reply posts text in r's thread.
func (s *Slack) Reply(ctx context.Context, r *flow.Request, text string) error {
	if r.Thread.Channel == "" {
		return errors.New("reply: the request has no channel")
	}
	opts := []slack.MsgOption{slack.MsgOptionText(card.Clip(escape(text), MaxMessageText), false)}
	if r.Thread.TS != "" {
		opts = append(opts, slack.MsgOptionTS(r.Thread.TS))
	}
	if err := s.pace.wait(ctx, r.Thread.Channel); err != nil {
		return err
	}
	err := retry(ctx, func() error {
		_, _, err := s.api.PostMessageContext(ctx, r.Thread.Channel, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("reply in thread of %s: %w", r.ID, err)
	}
	return nil
}

// notifyChannel is the environment's channel, else the policy's, else the
// configured fallback.
func (s *Slack) notifyChannel(r *flow.Request) string {
	pol := s.engine().Policy()
	if e, ok := pol.Environment(r.Environment); ok && e.NotifyChannel != "" {
		return e.NotifyChannel
	}
	if pol.NotifyChannel != "" {
		return pol.NotifyChannel
	}
	return s.opts.NotifyChannel
}

// Notify posts text to the notifications channel, labelled with r's own
// short ID (what /tfpilot commands take) and linking to r's thread. With no
// channel configured it does nothing.
func (s *Slack) Notify(ctx context.Context, r *flow.Request, text string) error {
	ch := s.notifyChannel(r)
	if ch == "" {
		return nil
	}
	msg := card.Clip(escape("["+card.ShortID(r)+"] "+text), MaxMessageText-200)
	if r.Thread.URL != "" {
		msg += " " + link(card.Link{Text: "open thread", URL: r.Thread.URL})
	}
	if err := s.pace.wait(ctx, ch); err != nil {
		return err
	}
	err := retry(ctx, func() error {
		_, _, err := s.api.PostMessageContext(ctx, ch, slack.MsgOptionText(msg, false), slack.MsgOptionDisableLinkUnfurl())
		return err
	})
	if err != nil {
		return fmt.Errorf("notify about %s: %w", r.ID, err)
	}
	return nil
}

// OpenInputs opens r's input form with triggerID. A trigger the surface
// already used (the bot opens forms itself, at once) is skipped, and an
// expired one is not an error worth retrying: the card's Edit button opens
// the form again.
func (s *Slack) OpenInputs(ctx context.Context, r *flow.Request, triggerID string) error {
	s.openForm(ctx, r, triggerID, "")
	return nil
}
