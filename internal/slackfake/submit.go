package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Submit submits the modal viewID as user, the way Slack would: every
// input keeps its initial value unless values (keyed by block_id) says
// otherwise. For checkboxes "true"/"false"; for selects the option's text.
func (f *Fake) Submit(ctx context.Context, user, viewID string, values map[string]string) (json.RawMessage, error) {
	raw, ok := f.View(viewID)
	if !ok {
		return nil, fmt.Errorf("slackfake: no view %s", viewID)
	}
	var view struct {
		Type            string           `json:"type"`
		CallbackID      string           `json:"callback_id"`
		PrivateMetadata string           `json:"private_metadata"`
		Blocks          []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &view); err != nil {
		return nil, fmt.Errorf("slackfake: view %s: %w", viewID, err)
	}
	state := map[string]any{}
	for _, b := range view.Blocks {
		if b["type"] != "input" {
			continue
		}
		blockID, _ := b["block_id"].(string)
		el, _ := b["element"].(map[string]any)
		actionID, _ := el["action_id"].(string)
		v, given := values[blockID]
		state[blockID] = map[string]any{actionID: elementState(el, v, given)}
	}
	p := map[string]any{
		"type": "view_submission", "api_app_id": "A0FAKE", "trigger_id": f.next("trig-"),
		"user": map[string]any{"id": user, "username": userName(user), "name": userName(user), "team_id": "T0FAKE"},
		"team": map[string]any{"id": "T0FAKE", "domain": "fake"},
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": view.CallbackID,
			"private_metadata": view.PrivateMetadata, "hash": "h", "state": map[string]any{"values": state}},
	}
	return f.Send(ctx, Envelope{Type: "interactive", Payload: p, Thread: "view/" + viewID})
}

func elementState(el map[string]any, v string, given bool) map[string]any {
	typ, _ := el["type"].(string)
	st := map[string]any{"type": typ}
	switch typ {
	case "checkboxes":
		opts, _ := el["options"].([]any)
		checked := false
		if given {
			checked, _ = strconv.ParseBool(v)
		} else if init, ok := el["initial_options"].([]any); ok && len(init) > 0 {
			checked = true
		}
		sel := []any{}
		if checked && len(opts) > 0 {
			sel = append(sel, opts[0])
		}
		st["selected_options"] = sel
	case "static_select":
		var opt any
		if given {
			opts, _ := el["options"].([]any)
			for _, o := range opts {
				om, _ := o.(map[string]any)
				if t, _ := om["text"].(map[string]any); t["text"] == v {
					opt = o
				}
			}
		} else {
			opt = el["initial_option"]
		}
		st["selected_option"] = opt
	default:
		if given {
			st["value"] = v
		} else if iv, ok := el["initial_value"].(string); ok {
			st["value"] = iv
		} else {
			st["value"] = nil
		}
	}
	return st
}
