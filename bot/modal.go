package bot

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/registry"
)

// CallbackInputs is the callback_id of the input modal.
const CallbackInputs = "tfpilot_inputs"

// inputBlockPrefix prefixes an input's block_id; the rest is the variable
// name, so validation errors map straight back to their field.
const (
	inputBlockPrefix = "in_"
	inputActionID    = "v"
	maxInputLength   = 3000
)

// inputMeta is what a modal carries in private_metadata: which request and
// module the form belongs to. The module is there so submissions validate
// without loading the request.
type inputMeta struct {
	RequestID, Project, Module, Environment string
}

func (m inputMeta) String() string {
	return strings.Join([]string{m.RequestID, m.Project, m.Module, m.Environment}, "|")
}

func parseInputMeta(s string) (inputMeta, bool) {
	p := strings.Split(s, "|")
	if len(p) != 4 || p[0] == "" || p[2] == "" {
		return inputMeta{}, false
	}
	return inputMeta{p[0], p[1], p[2], p[3]}, true
}

// loadingModal is opened at once with a trigger (which expires in 3 s),
// then replaced with views.update when the form is ready.
func loadingModal(meta inputMeta, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("TfPilot", MaxModalTitle),
		Close:           plain("Close", MaxModalTitle),
		CallbackID:      CallbackInputs,
		PrivateMetadata: meta.String(),
		Blocks:          slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(escape(text)), nil, nil)}},
	}
}

// formModal renders a module's input form: the right element per type,
// defaults pre-filled, descriptions as hints, optional inputs marked.
func formModal(f card.Form, meta inputMeta) slack.ModalViewRequest {
	intro := "Inputs for *" + escape(f.Module) + "*"
	if meta.Environment != "" {
		intro += " in *" + escape(meta.Environment) + "*"
	}
	intro += ". Values are checked when you press Save."
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(intro), nil, nil)}
	fields := f.Fields
	if len(fields) > MaxViewBlocks-2 {
		fields = fields[:MaxViewBlocks-2]
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(card.More(len(f.Fields)-len(fields))+" inputs: set them with key=value replies in the thread")))
	}
	for _, ff := range fields {
		blocks = append(blocks, inputBlock(ff))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(f.Title, MaxModalTitle),
		Submit:          plain("Save", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		CallbackID:      CallbackInputs,
		PrivateMetadata: meta.String(),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func inputBlock(ff card.FormField) *slack.InputBlock {
	var hint *slack.TextBlockObject
	if ff.Hint != "" {
		hint = plain(ff.Hint, MaxFieldText)
	}
	var el slack.BlockElement
	optional := !ff.Required
	switch ff.Kind {
	case card.FieldNumber:
		n := slack.NewNumberInputBlockElement(nil, inputActionID, ff.Decimal)
		n.InitialValue = ff.Initial
		el = n
	case card.FieldBool:
		opt := slack.NewOptionBlockObject("true", plain("Yes", MaxOptionText), nil)
		cb := slack.NewCheckboxGroupsBlockElement(inputActionID, opt)
		if ff.Initial == "true" {
			cb.InitialOptions = []*slack.OptionBlockObject{opt}
		}
		el = cb
		optional = true // an unchecked box is a value (false), not a missing one
	case card.FieldSelect:
		var opts []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for i, o := range ff.Options {
			if i == MaxSelectOptions {
				break
			}
			// The value is the option's index: option values are limited
			// to 150 characters, option texts are not what we submit.
			ob := slack.NewOptionBlockObject(strconv.Itoa(i), plain(o, MaxOptionText), nil)
			opts = append(opts, ob)
			if o == ff.Initial {
				initial = ob
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose", 150), inputActionID, opts...)
		sel.InitialOption = initial
		el = sel
	default:
		t := slack.NewPlainTextInputBlockElement(nil, inputActionID)
		t.InitialValue = card.Clip(ff.Initial, maxInputLength)
		t.Multiline = ff.Multiline
		t.MaxLength = maxInputLength
		el = t
	}
	label := ff.Label
	if ff.Sensitive {
		label += " (sensitive)"
	}
	b := slack.NewInputBlock(inputBlockPrefix+ff.Name, plain(label, MaxFieldText), hint, el)
	b.Optional = optional
	return b
}

// formValues reads a submitted form back into raw input values keyed by
// variable name. Values equal to the module's default that the request
// does not already set are left out, so the file records only what the
// person chose; an empty sensitive field keeps the value already set.
func formValues(f card.Form, state *slack.ViewState, current map[string]string) map[string]string {
	out := map[string]string{}
	if state == nil {
		return out
	}
	for _, ff := range f.Fields {
		av, ok := state.Values[inputBlockPrefix+ff.Name][inputActionID]
		if !ok {
			continue
		}
		var v string
		switch ff.Kind {
		case card.FieldBool:
			v = strconv.FormatBool(len(av.SelectedOptions) > 0)
		case card.FieldSelect:
			i, err := strconv.Atoi(av.SelectedOption.Value)
			if err != nil || i < 0 || i >= len(ff.Options) {
				continue
			}
			v = ff.Options[i]
		default:
			v = strings.TrimSpace(av.Value)
		}
		_, set := current[ff.Name]
		switch {
		case v == "" && ff.Kind != card.FieldBool:
			continue // left empty: the module's default (or the value already set)
		case !set && ff.Default != "" && v == ff.Default:
			continue
		case !set && ff.Default == "" && ff.Kind == card.FieldBool && v == "false" && !ff.Required:
			continue
		}
		out[ff.Name] = v
	}
	return out
}

// fieldErrors maps input errors onto the modal's input blocks. An error for
// a field the form does not show goes on the first field, since Slack only
// accepts input block IDs.
func fieldErrors(f card.Form, errs registry.InputErrors) map[string]string {
	out := map[string]string{}
	for _, e := range errs {
		id := ""
		for _, ff := range f.Fields {
			if ff.Name == e.Field {
				id = inputBlockPrefix + ff.Name
			}
		}
		msg := e.Reason
		if id == "" && len(f.Fields) > 0 {
			id = inputBlockPrefix + f.Fields[0].Name
			msg = e.Field + ": " + e.Reason
		}
		if id == "" {
			continue
		}
		if prev, ok := out[id]; ok {
			msg = prev + "; " + msg
		}
		out[id] = card.Clip(msg, 500)
	}
	return out
}
