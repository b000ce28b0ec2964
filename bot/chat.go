package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap"
)

// Chat is the Slack output port: it implements flow.Chat, posting cards,
// replies, notifications and input forms from what each call carries, and
// needs no engine. The inbound surface (Slack) shares its Web API client,
// its per-channel pacing and its record of used triggers.
type Chat struct {
	log      *zap.Logger
	api      *slack.Client
	pace     *pacer
	triggers *dedupe // trigger IDs already used for views.open
	notify   string  // fallback notifications channel (Options.NotifyChannel)

	mu      sync.Mutex
	teamURL string // from auth.test, for permalinks when chat.getPermalink fails
}

var _ flow.Chat = (*Chat)(nil)

var errNoBotToken = errors.New("slack: bot token (SLACK_BOT_TOKEN, xoxb-…) is required: OAuth & Permissions page of the app")

// NewChat builds the Slack output port from o (BotToken is required; the
// client carries AppToken too, for the Socket Mode connections of a Slack
// built from the same options).
func NewChat(o Options) (*Chat, error) {
	if o.BotToken == "" {
		return nil, errNoBotToken
	}
	o = o.withDefaults()
	var apiOpts []slack.Option
	if o.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(o.AppToken))
	}
	if o.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(o.APIURL))
	}
	if o.HTTPClient != nil {
		apiOpts = append(apiOpts, slack.OptionHTTPClient(o.HTTPClient))
	}
	return &Chat{
		log:      o.Logger.Named("slack"),
		api:      slack.New(o.BotToken, apiOpts...),
		pace:     newPacer(o.PostInterval),
		triggers: newDedupe(10000, 10*time.Minute),
		notify:   o.NotifyChannel,
	}, nil
}

// setTeamURL records the workspace URL (auth.test) for permalinks.
func (c *Chat) setTeamURL(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.teamURL = url
}

// cardOf is the channel card of v: one message for everyone in the
// thread, so it carries flow's outlook for anyone (no viewer).
func cardOf(v flow.View) card.Card {
	return card.ForRequest(v.Request, card.Options{Policy: &v.Policy, Outlook: &v.Outlook,
		Catalog: v.Catalog, Preview: v.Preview, Derived: v.Derived})
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

// ShowCard posts the card of v's request r as a new thread root when r has no thread yet,
// and otherwise updates it in place.
//
// The engine runs this effect again if it crashed after the post but
// before it saved the returned thread, when r.Thread.TS is still empty. So
// before posting, ShowCard looks for a card it already posted for r (see
// findCard) and, if there is one, updates and returns that one. If the
// lookup fails, it posts anyway: a duplicate card beats no card.
func (s *Chat) ShowCard(ctx context.Context, v flow.View) (flow.Thread, error) {
	r := v.Request
	m := Render(cardOf(v))
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
func (s *Chat) updateCard(ctx context.Context, r *flow.Request, th flow.Thread, opts []slack.MsgOption) error {
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
func (s *Chat) findCard(ctx context.Context, r *flow.Request) (string, error) {
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
func (s *Chat) permalink(ctx context.Context, channel, ts string) string {
	var url string
	err := retry(ctx, func() (err error) {
		url, err = s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err == nil && url != "" {
		return url
	}
	s.mu.Lock()
	base := s.teamURL
	s.mu.Unlock()
	if base == "" {
		base = "https://slack.com/"
	}
	return strings.TrimSuffix(base, "/") + "/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

// Reply posts text in r's thread.
func (s *Chat) Reply(ctx context.Context, r *flow.Request, text string) error {
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

// Notify posts text to the notifications channel (the policy's, else
// Options.NotifyChannel), labelled with r's own short ID (what /tfpilot
// commands take) and linking to r's thread. With no channel configured it
// does nothing.
func (s *Chat) Notify(ctx context.Context, r *flow.Request, channel, text string) error {
	ch := channel
	if ch == "" {
		ch = s.notify
	}
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

// OpenInputs opens the input form of module m for r with triggerID. A
// trigger the surface already used (the bot opens forms itself, at once)
// is skipped, and an expired one is not an error worth retrying: the
// card's Edit button opens the form again.
func (s *Chat) OpenInputs(ctx context.Context, r *flow.Request, m *registry.Module, triggerID string) error {
	s.showForm(ctx, r, formModal(card.ForModule(m, r), metaOf(r)), triggerID, "")
	return nil
}

// metaOf is what r's input form carries in private_metadata.
func metaOf(r *flow.Request) inputMeta {
	return inputMeta{RequestID: r.ID, Project: r.Project, Module: r.Module, Environment: r.Environment}
}

// showForm shows view (an input form, or a message in its place) in the
// modal viewID when there is one, else with views.open on a trigger not
// used before.
func (s *Chat) showForm(ctx context.Context, r *flow.Request, view slack.ModalViewRequest, trigger, viewID string) {
	var err error
	switch {
	case viewID != "":
		_, err = s.api.UpdateViewContext(ctx, view, "", "", viewID)
	case trigger != "" && s.triggers.first(trigger):
		_, err = s.api.OpenViewContext(ctx, trigger, view)
	default:
		return
	}
	if err != nil {
		// An expired trigger is not worth a retry: the Edit button opens it again.
		s.log.Info("input form not shown", append(requestFields(r), zap.Error(err))...)
	}
}
