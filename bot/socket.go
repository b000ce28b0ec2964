package bot

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/bot/command"
	"go.uber.org/zap"
)

// dispatch handles one socket event on its connection's reader. It must
// not block: it acks, dedupes and queues; anything slow runs on the
// workers. It runs once per envelope, on the reader goroutine, so it
// avoids copying the (large) parsed payloads to the heap and parsing
// anything twice.
func (s *Slack) dispatch(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			s.ack(evt.Request, nil)
			return
		}
		s.slashCommand(ctx, evt.Request, cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			s.ack(evt.Request, nil)
			return
		}
		s.interactive(ctx, evt.Request, &cb)
	case socketmode.EventTypeEventsAPI:
		s.ack(evt.Request, nil)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || !s.firstDelivery(evt.Request, "key/", eventID(evt.Request, ev)) {
			return
		}
		s.eventsAPI(ev)
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeHello,
		socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage,
		socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeInvalidAuth:
		// The connection's own events: socketConn.observe logs them.
	default:
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			s.ack(evt.Request, nil)
		}
	}
}

// ack acknowledges an envelope on the connection it came on, with payload
// for slash commands (a response message) and view submissions
// (validation errors), and reports the ack to Options.OnAck. Acks that
// fail (an oversized payload) are logged and not reported.
func (s *Slack) ack(req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	sm, at, found := s.take(req)
	var err error
	if payload == nil {
		err = sm.Ack(*req)
	} else {
		err = sm.Ack(*req, payload)
	}
	if err != nil {
		s.log.Error("ack", zap.String("envelope", req.EnvelopeID), zap.Error(err))
		return
	}
	if found {
		s.opts.OnAck(req.Type, time.Since(at))
	}
}

// firstDelivery reports whether an envelope is seen for the first time,
// by envelope ID and by key (event ID, action_ts+user, trigger ID; given
// in parts, hashed without concatenating): a retry (retry_attempt > 0) or
// a double click carries a key already seen.
func (s *Slack) firstDelivery(req *socketmode.Request, key ...string) bool {
	return s.seen.firstOf(s.seen.key("env/", req.EnvelopeID), s.seen.key(key...))
}

// eventID is the Events API event ID, which slack-go has already parsed
// for event callbacks; other payloads are read for it.
func eventID(req *socketmode.Request, ev slackevents.EventsAPIEvent) string {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		return cb.EventID
	}
	var p struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(req.Payload, &p)
	return p.EventID
}

func (s *Slack) slashCommand(ctx context.Context, req *socketmode.Request, cmd slack.SlashCommand) {
	if !s.firstDelivery(req, "cmd/", cmd.TriggerID) {
		s.ack(req, nil)
		return
	}
	c, err := command.Parse(cmd.Text)
	if err != nil || c.Verb == command.VerbHelp {
		// Help needs no I/O: answer in the ack itself.
		cd := card.Help()
		if err != nil {
			cd = card.Usage(err.Error())
		}
		s.ack(req, ackMessage(cd))
		return
	}
	s.ack(req, nil)
	actor := s.actor(cmd.UserID, cmd.UserName)
	key := "user/" + cmd.UserID
	if c.ID != "" {
		key = "ref/" + c.ID
	}
	s.submit(key, func(ctx context.Context) { s.runCommand(ctx, c, cmd, actor) })
}

// ackMessage is a slash command ack carrying a response message, kept
// under the 20 KB ack limit.
func ackMessage(c card.Card) map[string]any {
	m := Render(c)
	out := map[string]any{"response_type": "ephemeral", "text": m.Text, "blocks": m.Blocks}
	if b, err := json.Marshal(out); err != nil || len(b) >= MaxAckBytes-512 {
		return map[string]any{"response_type": "ephemeral", "text": card.Clip(m.Text, 3000)}
	}
	return out
}

// interactive takes cb by pointer: an InteractionCallback is about 4 KB,
// and a copy that escapes costs a heap allocation per envelope.
func (s *Slack) interactive(ctx context.Context, req *socketmode.Request, cb *slack.InteractionCallback) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		s.ack(req, nil)
		for _, a := range cb.ActionCallback.BlockActions {
			// Same action_ts from the same user is a double click or a retry.
			if !s.firstDelivery(req, "act/", cb.User.ID, "/", a.ActionTs, "/", a.ActionID) {
				continue
			}
			s.blockAction(ctx, cb, a)
		}
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID != CallbackInputs {
			s.ack(req, nil)
			return
		}
		if !s.firstDelivery(req, "view/", cb.View.ID, "/", cb.TriggerID) {
			s.ack(req, nil)
			return
		}
		// Validation answers in the ack, so it runs now, off the event loop
		// (on its own copy: only this branch pays for one).
		sub := *cb
		s.goFast(func() { s.viewSubmission(ctx, req, sub) })
	default:
		s.ack(req, nil)
	}
}

func (s *Slack) eventsAPI(ev slackevents.EventsAPIEvent) {
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		if inner.ThreadTimeStamp == "" || inner.SubType != "" || inner.BotID != "" || inner.User == "" || inner.User == s.botUserID {
			return
		}
		text := unescapeSlack(inner.Text)
		if !command.IsAssignment(text) {
			return
		}
		key := "thread/" + inner.Channel + "/" + inner.ThreadTimeStamp
		s.submit(key, func(ctx context.Context) { s.threadInputs(ctx, inner, text) })
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "" && inner.Tab != "home" {
			return
		}
		s.submit("home/"+inner.User, func(ctx context.Context) { s.publishHome(ctx, inner.User) })
	}
}

// unescapeSlack turns message text back into what the person typed: links
// "<https://x|x>" to their text, "&lt;" to "<" and so on.
func unescapeSlack(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		inner := s[i+1 : i+j]
		if _, label, ok := strings.Cut(inner, "|"); ok {
			b.WriteString(label)
		} else {
			b.WriteString(inner)
		}
		s = s[i+j+1:]
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(b.String())
}
