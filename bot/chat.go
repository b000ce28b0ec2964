package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// cardEventType tags every status card with the request it shows (message
// metadata, event_payload {"request_id": r.ID}), so that ShowCard can find
// a card it posted before a crash instead of posting a second one.
const cardEventType = "tfpilot_request"

// The window findCard searches: messages since the request was created,
// less cardLookupSkew for clock skew between Slack and us, at most
// cardLookupPages pages of cardLookupLimit messages. A card is posted as
// soon as its request exists, so a handful of messages usually suffices.
const (
	cardLookupSkew  = time.Minute
	cardLookupLimit = 100
	cardLookupPages = 3
)

// cardMetadata is the message metadata posted with r's card.
func cardMetadata(r *flow.Request) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: cardEventType, EventPayload: map[string]any{"request_id": r.ID}}
}

// ShowCard posts r's card as a new thread root when r has no thread yet,
// and otherwise updates it in place.
//
// The engine runs this effect again if it crashed after the post but
// before it saved the returned thread, when r.Thread.TS is still empty. So
// before posting, ShowCard looks for a card it already posted for r (see
// findCard) and, if there is one, updates and returns that one. If the
// lookup fails, it posts anyway: a duplicate card beats no card.
func (s *Slack) ShowCard(ctx context.Context, r *flow.Request) (flow.Thread, error) {
	m := Render(s.cardFor(ctx, r))
	// The metadata goes on updates too: chat.update keeps a message's
	// metadata when given none, but sending it costs nothing and tags cards
	// posted before cards carried it.
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionMetadata(cardMetadata(r))}
	th := r.Thread
	if th.Channel == "" {
		return th, errors.New("show card: the request has no channel")
	}
	if th.TS != "" {
		return th, s.updateCard(ctx, r, th, opts)
	}
	ts, err := s.findCard(ctx, r)
	switch {
	case err != nil:
		s.log.Warn("look for an earlier card failed; posting a new one (it may be a duplicate)",
			append(requestFields(r), zap.Error(err))...)
	case ts != "":
		s.log.Info("reusing the card posted before", append(requestFields(r), zap.String("ts", ts))...)
		th.TS = ts
		if err := s.updateCard(ctx, r, th, opts); err != nil {
			return r.Thread, err
		}
		th.URL = s.permalink(ctx, th.Channel, th.TS)
		return th, nil
	}
	if err := s.pace.wait(ctx, th.Channel); err != nil {
		return th, err
	}
	err = retry(ctx, func() (err error) {
		_, th.TS, err = s.api.PostMessageContext(ctx, th.Channel, opts...)
		return err
	})
	if err != nil {
		return r.Thread, fmt.Errorf("post card of %s: %w", r.ID, err)
	}
	th.URL = s.permalink(ctx, th.Channel, th.TS)
	return th, nil
}

// updateCard replaces the card at th with opts.
func (s *Slack) updateCard(ctx context.Context, r *flow.Request, th flow.Thread, opts []slack.MsgOption) error {
	err := retry(ctx, func() error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, th.Channel, th.TS, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("update card of %s: %w", r.ID, err)
	}
	return nil
}

// findCard returns the ts of a card already posted for r in its channel,
// or "" when there is none: the top-level messages since r was created
// (less cardLookupSkew) whose metadata is cardEventType with r's ID. It
// reads conversations.history, which needs the channels:history scope the
// app already has for message.channels events (slack-app-manifest.yaml);
// that scope covers public channels only, as does message.channels, so a
// card in a private channel is not found (missing_scope) and ShowCard
// posts as before. conversations.history is Tier 3 (50+ calls a minute);
// it is called only when a card is first posted, once per request in the
// usual case, and retried after Retry-After like every call. Metadata is
// returned only with include_all_metadata.
func (s *Slack) findCard(ctx context.Context, r *flow.Request) (string, error) {
	p := &slack.GetConversationHistoryParameters{ChannelID: r.Thread.Channel, Limit: cardLookupLimit, IncludeAllMetadata: true}
	if !r.CreatedAt.IsZero() {
		p.Oldest = slackTS(r.CreatedAt.Add(-cardLookupSkew))
	}
	for range cardLookupPages {
		var resp *slack.GetConversationHistoryResponse
		err := retry(ctx, func() (err error) {
			resp, err = s.api.GetConversationHistoryContext(ctx, p)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("conversations.history of %s: %w", p.ChannelID, err)
		}
		for _, m := range resp.Messages {
			if m.Metadata.EventType == cardEventType && m.Metadata.EventPayload["request_id"] == r.ID {
				return m.Timestamp, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return "", nil
		}
		p.Cursor = resp.ResponseMetaData.NextCursor
	}
	return "", fmt.Errorf("more than %d messages in %s since %s: searched only those",
		cardLookupPages*cardLookupLimit, p.ChannelID, p.Oldest)
}

// slackTS formats t as a Slack timestamp (seconds.microseconds).
func slackTS(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
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
