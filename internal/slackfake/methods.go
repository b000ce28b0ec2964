package slackfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// answer runs a Web API method on the fake's state.
func (f *Fake) answer(c Call) map[string]any {
	switch c.Method {
	case "apps.connections.open":
		f.mu.Lock()
		f.opens++
		f.mu.Unlock()
		return ok("url", "ws"+strings.TrimPrefix(f.srv.URL, "http")+"/ws")
	case "auth.test":
		return ok("url", "https://fake.slack.com/", "team", "Fake", "team_id", "T0FAKE", "user", "tfpilot", "user_id", "U0BOT", "bot_id", "B0BOT")
	case "chat.postMessage":
		m := Message{Channel: c.Param("channel"), TS: f.ts(), ThreadTS: c.Param("thread_ts"), Text: c.Param("text"), Blocks: blocks(c), Metadata: metadata(c)}
		f.mu.Lock()
		f.messages[m.Channel+"/"+m.TS] = &m
		f.order = append(f.order, m.Channel+"/"+m.TS)
		f.mu.Unlock()
		return ok("channel", m.Channel, "ts", m.TS)
	case "chat.update":
		key := c.Param("channel") + "/" + c.Param("ts")
		f.mu.Lock()
		defer f.mu.Unlock()
		m, found := f.messages[key]
		if !found {
			return map[string]any{"ok": false, "error": "message_not_found"}
		}
		m.Text, m.Blocks = c.Param("text"), blocks(c)
		if md := metadata(c); md != nil { // as Slack: without metadata, chat.update keeps it
			m.Metadata = md
		}
		return ok("channel", m.Channel, "ts", m.TS, "text", m.Text)
	case "chat.postEphemeral":
		m := Message{Channel: c.Param("channel"), TS: f.ts(), ThreadTS: c.Param("thread_ts"), Text: c.Param("text"), Blocks: blocks(c), User: c.Param("user")}
		f.mu.Lock()
		f.ephemeral = append(f.ephemeral, m)
		f.mu.Unlock()
		return ok("message_ts", m.TS)
	case "conversations.history":
		return f.history(c)
	case "chat.getPermalink":
		ch, ts := c.Param("channel"), c.Param("message_ts")
		return ok("channel", ch, "permalink", "https://fake.slack.com/archives/"+ch+"/p"+strings.ReplaceAll(ts, ".", ""))
	case "views.open", "views.update":
		var req struct {
			View   json.RawMessage `json:"view"`
			ViewID string          `json:"view_id"`
		}
		_ = json.Unmarshal(c.Body, &req)
		id := req.ViewID
		f.mu.Lock()
		defer f.mu.Unlock()
		if c.Method == "views.open" {
			id = f.next("V")
			f.lastView = id
		} else if _, found := f.views[id]; !found {
			return map[string]any{"ok": false, "error": "not_found"}
		}
		f.views[id] = req.View
		return ok("view", map[string]any{"id": id, "hash": f.next("h")})
	case "views.publish":
		var req struct {
			UserID string          `json:"user_id"`
			View   json.RawMessage `json:"view"`
		}
		_ = json.Unmarshal(c.Body, &req)
		f.mu.Lock()
		f.homes[req.UserID] = req.View
		f.mu.Unlock()
		return ok("view", map[string]any{"id": f.next("VH")})
	case "usergroups.users.list":
		f.mu.Lock()
		members := f.Groups[c.Param("usergroup")]
		f.mu.Unlock()
		if members == nil {
			members = []string{}
		}
		return ok("users", members)
	}
	return map[string]any{"ok": false, "error": "unknown_method"}
}

func ok(kv ...any) map[string]any {
	m := map[string]any{"ok": true}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// history answers conversations.history from the messages posted so far:
// the channel's top-level messages (thread replies and ephemeral messages
// are not in a channel's history), newest first, between oldest and latest
// (exclusive unless inclusive), limit per page (default 100, at most 999)
// with a cursor for the next page. Metadata is included only with
// include_all_metadata, as Slack does for metadata the caller did not
// subscribe to.
func (f *Fake) history(c Call) map[string]any {
	bound := func(name string) (int64, bool, error) {
		v := c.Param(name)
		if v == "" {
			return 0, false, nil
		}
		us, ok := tsMicros(v)
		if !ok {
			return 0, false, fmt.Errorf("invalid_ts_%s", name)
		}
		return us, true, nil
	}
	oldest, hasOldest, err := bound("oldest")
	if err != nil {
		return map[string]any{"ok": false, "error": err.Error()}
	}
	latest, hasLatest, err := bound("latest")
	if err != nil {
		return map[string]any{"ok": false, "error": err.Error()}
	}
	inclusive := truthy(c.Param("inclusive"))
	withMeta := truthy(c.Param("include_all_metadata"))
	limit := 100
	if v := c.Param("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return map[string]any{"ok": false, "error": "invalid_limit"}
		}
		if n > 0 {
			limit = min(n, 999)
		}
	}
	skip := 0
	if v := c.Param("cursor"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "off:"))
		if err != nil || n < 0 {
			return map[string]any{"ok": false, "error": "invalid_cursor"}
		}
		skip = n
	}
	channel := c.Param("channel")
	var all []map[string]any
	f.mu.Lock()
	for i := len(f.order) - 1; i >= 0; i-- {
		m := f.messages[f.order[i]]
		if m.Channel != channel || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
			continue
		}
		us, _ := tsMicros(m.TS)
		if hasOldest && (us < oldest || us == oldest && !inclusive) {
			continue
		}
		if hasLatest && (us > latest || us == latest && !inclusive) {
			continue
		}
		msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": "B0BOT", "user": "U0BOT"}
		if m.ThreadTS != "" {
			msg["thread_ts"] = m.ThreadTS
		}
		if len(m.Blocks) > 0 {
			msg["blocks"] = m.Blocks
		}
		if withMeta && len(m.Metadata) > 0 {
			msg["metadata"] = m.Metadata
		}
		all = append(all, msg)
	}
	f.mu.Unlock()
	page := all[min(skip, len(all)):]
	more := len(page) > limit
	next := ""
	if more {
		page = page[:limit]
		next = "off:" + strconv.Itoa(skip+limit)
	}
	if page == nil {
		page = []map[string]any{}
	}
	return ok("messages", page, "has_more", more, "pin_count", 0,
		"response_metadata", map[string]any{"next_cursor": next})
}

func truthy(v string) bool { return v == "1" || v == "true" }

// metadata is a call's message metadata, nil when it has none.
func metadata(c Call) json.RawMessage {
	md := c.Param("metadata")
	if md == "" {
		return nil
	}
	return json.RawMessage(md)
}

func blocks(c Call) json.RawMessage {
	b := c.Param("blocks")
	if b == "" {
		return nil
	}
	return json.RawMessage(b)
}
