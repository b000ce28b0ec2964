package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/bot/command"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap"
)

// validateTimeout bounds modal validation, which must answer in the ack
// (Slack waits 3 s).
const validateTimeout = 2 * time.Second

// blockAction routes one button press (already acked and deduplicated).
//
// It takes the callback and the action by pointer and copies out only the
// fields its jobs need: an InteractionCallback is about 4 KB, and a copy
// captured by a queued job stays on the heap until the job runs.
func (s *Slack) blockAction(ctx context.Context, cb *slack.InteractionCallback, a *slack.BlockAction) {
	action := ParseActionID(a.ActionID)
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	msgTS, threadTS := cb.Container.MessageTs, cb.Container.ThreadTs
	value, actionID, trigger, userID := a.Value, a.ActionID, cb.TriggerID, cb.User.ID
	id, _ := card.ParseValue(value)
	if id == "" {
		return
	}
	actor := s.actor(userID, firstNonEmpty(cb.User.Name, cb.User.Username))
	evKey := "slack:act:" + userID + ":" + a.ActionTs
	say := func(ctx context.Context, text string) { s.tell(ctx, channel, threadTS, userID, text) }

	switch action {
	case card.ActEdit, card.ActChooseEnv:
		// The trigger expires in 3 s: open a modal now, fill it in later.
		_, project, module, env := card.ParseChoice(value)
		meta := inputMeta{RequestID: id, Project: project, Module: module, Environment: env}
		view := make(chan string, 1)
		s.goFast(func() { view <- s.openLoading(ctx, trigger, meta) })
		s.submit("req/"+id, func(ctx context.Context) {
			var viewID string
			select {
			case viewID = <-view:
			case <-ctx.Done():
				return
			}
			actor := s.resolveGroups(ctx, actor)
			if action == card.ActChooseEnv {
				s.chooseEnv(ctx, id, meta, actor, evKey, viewID, say)
				return
			}
			s.edit(ctx, id, actor, evKey, viewID, say)
		})
	case card.ActChooseProject, card.ActChooseModule:
		s.submit("req/"+id, func(ctx context.Context) {
			s.nextChoice(ctx, value, channel, msgTS, s.resolveGroups(ctx, actor), say)
		})
	default:
		_, ev, ok := card.ActionEvent(action, value)
		if !ok {
			s.log.Debug("unknown action", zap.String("action_id", actionID))
			return
		}
		ev.Key = evKey
		s.submit("req/"+id, func(ctx context.Context) {
			var r *flow.Request
			err := s.asActor(ctx, actor, func(actor flow.Actor) (err error) {
				ev.Actor = actor
				r, err = s.engine().Handle(ctx, id, ev)
				return err
			})
			if err == nil {
				return
			}
			say(ctx, s.userText(err, string(action)))
			if errors.Is(err, flow.ErrPlanChanged) && r != nil {
				// The card pressed showed another plan: show the person
				// the request as it is now, with the buttons of its plan.
				s.statusCard(ctx, channel, threadTS, r, ev.Actor)
			}
		})
	}
}

// openLoading opens a placeholder modal and returns its view ID ("" when
// it could not be opened).
func (s *Slack) openLoading(ctx context.Context, trigger string, meta inputMeta) string {
	if trigger == "" || !s.triggers.first(trigger) {
		return ""
	}
	resp, err := s.api.OpenViewContext(ctx, trigger, loadingModal(meta, "Loading the form…"))
	if err != nil {
		s.log.Warn("views.open", zap.Error(err))
		return ""
	}
	return resp.ID
}

// showInModal replaces the placeholder modal with a message (a refusal),
// or tells the person ephemerally when there is no modal.
func (s *Slack) showInModal(ctx context.Context, viewID string, meta inputMeta, text string, say func(context.Context, string)) {
	if viewID == "" {
		say(ctx, text)
		return
	}
	if _, err := s.api.UpdateViewContext(ctx, loadingModal(meta, text), "", "", viewID); err != nil {
		s.log.Warn("views.update", zap.Error(err))
		say(ctx, text)
	}
}

func (s *Slack) chooseEnv(ctx context.Context, id string, meta inputMeta, actor flow.Actor, key, viewID string, say func(context.Context, string)) {
	r, err := s.engine().Handle(ctx, id, flow.Event{Kind: flow.EvChooseModule, Key: key, Actor: actor,
		Project: meta.Project, Module: meta.Module, Environment: meta.Environment})
	if err != nil {
		s.showInModal(ctx, viewID, meta, s.userText(err, "choose module"), say)
		return
	}
	s.openForm(ctx, r, "", viewID)
}

func (s *Slack) edit(ctx context.Context, id string, actor flow.Actor, key, viewID string, say func(context.Context, string)) {
	eng := s.engine()
	r, err := eng.Get(ctx, id)
	switch {
	case err != nil:
	case r.State == flow.CollectingInputs:
		// Already editing: the form opens if flow would take its inputs
		// from this person.
		err = flow.Allows(r, eng.Policy(), flow.EvSetInputs, actor)
	default:
		r, err = eng.Handle(ctx, id, flow.Event{Kind: flow.EvEdit, Key: key, Actor: actor})
	}
	if err != nil {
		s.showInModal(ctx, viewID, inputMeta{RequestID: id}, s.userText(err, "edit"), say)
		return
	}
	s.openForm(ctx, r, "", viewID)
}

// openForm shows r's input form: in the modal viewID when there is one,
// else with views.open on trigger.
func (s *Slack) openForm(ctx context.Context, r *flow.Request, trigger, viewID string) {
	meta := metaOf(r)
	cat, err := s.catalogs.get(ctx, s.engine(), s.defaultProject(r.Project))
	var view slack.ModalViewRequest
	if err != nil {
		view = loadingModal(meta, s.userText(err, "catalogue"))
	} else if m, ok := cat.Module(r.Module); !ok {
		view = loadingModal(meta, "Module "+r.Module+" is no longer in the catalogue.")
	} else {
		view = formModal(card.ForModule(m, r), meta)
	}
	s.chat.showForm(ctx, r, view, trigger, viewID)
}

// nextChoice replaces the choice message with its next step.
func (s *Slack) nextChoice(ctx context.Context, value, channel, msgTS string, actor flow.Actor, say func(context.Context, string)) {
	eng := s.engine()
	id, project, module, _ := card.ParseChoice(value)
	r, err := eng.Get(ctx, id)
	if err != nil {
		say(ctx, s.userText(err, "choice"))
		return
	}
	if err := flow.MayChoose(r, actor); err != nil {
		say(ctx, s.userText(err, "choice"))
		return
	}
	pol := eng.Policy()
	ch := card.Choice{Policy: &pol, Actor: &actor, Project: project, Module: module}
	if cat, err := s.catalogs.get(ctx, eng, project); err == nil {
		ch.Catalog = cat
	} else {
		say(ctx, s.userText(err, "catalogue"))
		return
	}
	m := Render(card.ModuleChoice(r, ch))
	err = retry(ctx, func() error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, channel, msgTS, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		return err
	})
	if err != nil {
		say(ctx, s.userText(err, "chat.update"))
	}
}

// viewSubmission validates the input modal and answers in the ack: field
// errors keep the modal open; a valid form closes it and its values go to
// the engine on the request's queue.
func (s *Slack) viewSubmission(ctx context.Context, req *socketmode.Request, cb slack.InteractionCallback) {
	meta, ok := parseInputMeta(cb.View.PrivateMetadata)
	if !ok {
		s.ack(req, nil)
		return
	}
	vctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	eng := s.engine()
	cat, err := s.catalogs.get(vctx, eng, s.defaultProject(meta.Project))
	var m *registry.Module
	if err == nil {
		if m, ok = cat.Module(meta.Module); !ok {
			err = flow.Userf(flow.ErrBadEvent, "module "+meta.Module+" is no longer in the catalogue")
		}
	}
	if err != nil {
		s.ack(req, nil)
		s.log.Warn("modal validation", append(submitFields(meta.RequestID, "", "", cb.User.ID), zap.Error(err))...)
		return
	}
	form := card.ForModule(m, &flow.Request{})
	raw := formValues(form, cb.View.State, nil)
	canon, err := m.Resolve(raw)
	var ie registry.InputErrors
	if errors.As(err, &ie) {
		s.ack(req, slack.NewErrorsViewSubmissionResponse(fieldErrors(form, ie)))
		return
	}
	s.ack(req, nil)
	if err != nil {
		s.log.Error("resolve", append(submitFields(meta.RequestID, "", "", cb.User.ID), zap.Error(err))...)
		return
	}
	actor := s.actor(cb.User.ID, firstNonEmpty(cb.User.Name, cb.User.Username))
	key := "slack:view:" + cb.View.ID + ":" + cb.TriggerID
	s.submit("req/"+meta.RequestID, func(ctx context.Context) {
		actor := s.resolveGroups(ctx, actor)
		r, err := eng.Handle(ctx, meta.RequestID, flow.Event{Kind: flow.EvSetInputs, Key: key, Actor: actor, Inputs: canon})
		if err != nil && r != nil {
			s.tell(ctx, r.Thread.Channel, r.Thread.TS, actor.ID, s.userText(err, "set inputs"))
		} else if err != nil {
			s.log.Error("set inputs", append(submitFields(meta.RequestID, "", "", actor.ID), zap.Error(err))...)
		}
	})
}

// threadInputs applies key=value replies in a request's thread.
func (s *Slack) threadInputs(ctx context.Context, msg *slackevents.MessageEvent, text string) {
	say := func(t string) { s.tell(ctx, msg.Channel, msg.ThreadTimeStamp, msg.User, t) }
	kv, err := command.ParseAssignments(text)
	if err != nil {
		say(s.userText(err, "parse inputs"))
		return
	}
	eng := s.engine()
	rs, err := eng.List(ctx, flow.Filter{Thread: &flow.Thread{Channel: msg.Channel, TS: msg.ThreadTimeStamp}})
	if err != nil {
		say(s.userText(err, "find thread"))
		return
	}
	if len(rs) == 0 {
		return // not a request's thread
	}
	r := rs[len(rs)-1]
	actor := s.resolveGroups(ctx, s.actor(msg.User, ""))
	next, err := eng.Handle(ctx, r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "slack:msg:" + msg.Channel + ":" + msg.TimeStamp,
		Actor: actor, Inputs: kv})
	var notSet *flow.InputsNotSet
	if err != nil && (!errors.As(err, &notSet) || len(notSet.Set) == 0) {
		say(s.userText(err, "set inputs"))
		return
	}
	// The good inputs were set (the card is updated in place): say which
	// were not, and what is still needed, so a reply never goes unanswered.
	answer, still := "Set.", ""
	if err != nil {
		answer = s.userText(err, "set inputs")
	}
	if next != nil && next.State == flow.CollectingInputs {
		if cat, cerr := s.catalogs.get(ctx, eng, next.Project); cerr == nil {
			if m, ok := cat.Module(next.Module); ok {
				if missing := m.Missing(next.Inputs); len(missing) > 0 {
					still = "Still needed: " + strings.Join(missing, ", ") + "."
				}
			}
		}
	}
	switch {
	case err != nil && still != "":
		say(answer + "\n" + still)
	case err != nil:
		say(answer)
	case still != "":
		say(answer + " " + still)
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
