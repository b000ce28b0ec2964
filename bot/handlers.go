package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/bot/command"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap"
)

// actor is the person behind an event. Groups are resolved later, on a
// worker (resolveGroups), because that may call Slack.
func (s *Slack) actor(id, name string) flow.Actor {
	return flow.Actor{ID: id, Name: name}
}

// resolveGroups fills in the actor's user groups among those the policy
// names.
func (s *Slack) resolveGroups(ctx context.Context, a flow.Actor) flow.Actor {
	ids := policyGroups(s.engine().Policy())
	if len(ids) == 0 {
		return a
	}
	gs, err := s.groups.of(ctx, a.ID, ids)
	if err != nil {
		s.log.Warn("user groups", zap.String("user", a.ID), zap.Error(err))
	}
	a.Groups = gs
	return a
}

// userText is what a person sees for err: the user-facing text of refusals
// and input errors; anything else is logged under a reference.
func (s *Slack) userText(err error, what string) string {
	var ue *flow.UserError
	if errors.As(err, &ue) {
		return ue.Msg
	}
	var ie registry.InputErrors
	if errors.As(err, &ie) {
		lines := make([]string, 0, len(ie))
		for _, e := range ie {
			lines = append(lines, e.Field+": "+e.Reason)
		}
		var notSet *flow.InputsNotSet
		switch {
		case errors.As(err, &notSet) && notSet.Request == "":
			return "Some inputs are not valid, so nothing was created; send the command again with them corrected:\n" + strings.Join(lines, "\n")
		case errors.As(err, &notSet) && len(notSet.Set) > 0:
			return "Set " + strings.Join(notSet.Set, ", ") + ". These were not set; send them again corrected:\n" + strings.Join(lines, "\n")
		}
		return "Some inputs are not valid, so none of that message was set; send it again corrected:\n" + strings.Join(lines, "\n")
	}
	var se *command.SyntaxError
	if errors.As(err, &se) {
		return "I could not read that as key=value: " + se.Msg
	}
	ref := newRef()
	s.log.Error(what, zap.String("ref", ref), zap.Error(err))
	return "Something went wrong (ref " + ref + "). Try again, or ask a platform admin with that reference."
}

func newRef() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ephemeral shows a card to one person in a channel (in a thread when
// threadTS is set). Failures are logged: there is no one else to tell.
func (s *Slack) ephemeral(ctx context.Context, channel, threadTS, user string, c card.Card) {
	if channel == "" {
		return
	}
	m := Render(c)
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	err := retry(ctx, func() error {
		_, err := s.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
	if err != nil {
		s.log.Warn("postEphemeral", zap.String("channel", channel), zap.String("user", user), zap.Error(err))
	}
}

func (s *Slack) tell(ctx context.Context, channel, threadTS, user, text string) {
	s.ephemeral(ctx, channel, threadTS, user, card.Text("", text))
}

// defaultProject is the request's project, or the only project there is.
func (s *Slack) defaultProject(project string) string {
	if project != "" {
		return project
	}
	if p := s.engine().Policy(); len(p.Projects) == 1 {
		return p.Projects[0].Name
	}
	return ""
}

// openStates are the states in which a request is still going somewhere.
var openStates = func() []flow.State {
	var out []flow.State
	for _, st := range flow.States() {
		if !st.Terminal() {
			out = append(out, st)
		}
	}
	return out
}()

// statusCard shows r's status card to viewer alone, with the moves they
// may make as the engine would judge a click (the environment's hold
// included), not the policy alone.
func (s *Slack) statusCard(ctx context.Context, channel, threadTS string, r *flow.Request, viewer flow.Actor) {
	eng := s.engine()
	pol := eng.Policy()
	opts := card.Options{Policy: &pol, Viewer: &viewer}
	if os, err := eng.Outlooks(ctx, []*flow.Request{r}, &viewer); err == nil {
		opts.Outlook = &os[0]
	} else {
		s.log.Warn("status: outlook", append(requestFields(r), zap.Error(err))...)
	}
	s.ephemeral(ctx, channel, threadTS, viewer.ID, card.Status(r, opts))
}

// runCommand carries out a parsed /tfpilot command on a worker: the
// interpreter (package command) decides what it asks for, this renders it.
func (s *Slack) runCommand(ctx context.Context, c command.Command, cmd slack.SlashCommand, actor flow.Actor) {
	eng := s.engine()
	actor = s.resolveGroups(ctx, actor)
	say := func(text string) { s.tell(ctx, cmd.ChannelID, "", cmd.UserID, text) }
	in, err := command.Interpret(ctx, eng, c, actor)
	if err != nil {
		say(s.userText(err, c.Verb.String()))
		return
	}
	taken := func(text string) string {
		if in.Taken == "" {
			return text
		}
		return in.Taken + " " + text
	}
	ev := in.Event
	ev.Key = "slack:cmd:" + cmd.TriggerID
	switch in.Do {
	case command.DoHelp:
		s.ephemeral(ctx, cmd.ChannelID, "", cmd.UserID, card.Help())
	case command.DoOpen:
		// Inputs go with the start: the engine checks them before it
		// creates anything, so a bad one creates no request.
		ev.Thread = &flow.Thread{Channel: cmd.ChannelID}
		r, err := eng.Open(ctx, ev)
		if err != nil {
			say(taken(s.userText(err, "open request")))
			return
		}
		if r.State == flow.CollectingInputs {
			s.openForm(ctx, r, cmd.TriggerID, "")
		}
	case command.DoList:
		s.ephemeral(ctx, cmd.ChannelID, "", cmd.UserID, card.List(in.Title, in.Requests))
	case command.DoStatus:
		s.statusCard(ctx, cmd.ChannelID, "", in.Request, actor)
	case command.DoModules:
		s.ephemeral(ctx, cmd.ChannelID, "", cmd.UserID, card.Modules(in.Project, in.Catalog))
	case command.DoHandle:
		var r *flow.Request
		err := s.asActor(ctx, actor, func(actor flow.Actor) (err error) {
			ev.Actor = actor
			r, err = eng.Handle(ctx, in.Request.ID, ev)
			return err
		})
		if err != nil {
			say(taken(s.userText(err, c.Verb.String())))
			return
		}
		if reply := command.Reply(ev, r); reply != "" {
			say(taken(reply))
			return
		}
		pol := eng.Policy()
		say(taken(card.Title(r) + " (" + card.ShortID(r) + "): " + card.StateText(r, &pol)))
	}
}
