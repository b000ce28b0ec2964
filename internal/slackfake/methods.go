package slackfake

import (
	"encoding/json"
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
		m := Message{Channel: c.Param("channel"), TS: f.ts(), ThreadTS: c.Param("thread_ts"), Text: c.Param("text"), Blocks: blocks(c)}
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
		return ok("channel", m.Channel, "ts", m.TS, "text", m.Text)
	case "chat.postEphemeral":
		m := Message{Channel: c.Param("channel"), TS: f.ts(), ThreadTS: c.Param("thread_ts"), Text: c.Param("text"), Blocks: blocks(c), User: c.Param("user")}
		f.mu.Lock()
		f.ephemeral = append(f.ephemeral, m)
		f.mu.Unlock()
		return ok("message_ts", m.TS)
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

func blocks(c Call) json.RawMessage {
	b := c.Param("blocks")
	if b == "" {
		return nil
	}
	return json.RawMessage(b)
}
