package slackfake

import (
	"encoding/json"
	"fmt"
)

// Button is a button of a posted message, as a person would press it.
type Button struct{ ActionID, Value, Text string }

// Buttons lists the buttons of Block Kit JSON (actions blocks and section
// accessories), in order.
func Buttons(blocks json.RawMessage) ([]Button, error) {
	var bs []struct {
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	var out []Button
	add := func(raw json.RawMessage) {
		var el struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		if json.Unmarshal(raw, &el) == nil && el.Type == "button" {
			out = append(out, Button{el.ActionID, el.Value, el.Text.Text})
		}
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			add(e)
		}
		if len(b.Accessory) > 0 {
			add(b.Accessory)
		}
	}
	return out, nil
}
