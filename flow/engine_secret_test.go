package flow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// bodyRepo is the fake repository, keeping each pull request description.
type bodyRepo struct {
	*flowtest.Repo
	mu     sync.Mutex
	bodies []string
}

func (r *bodyRepo) OpenChange(ctx context.Context, spec flow.ChangeSpec) (flow.Change, error) {
	r.mu.Lock()
	r.bodies = append(r.bodies, spec.Body)
	r.mu.Unlock()
	return r.Repo.OpenChange(ctx, spec)
}

// syncBuffer is a log sink safe for the engine's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEngineSensitiveInputNeverShown: a sensitive input's value (a secret
// reference) goes to git and nowhere else: not the confirm card's file, the
// pull request description, a reply, a notification, the audit trail or
// the log.
func TestEngineSensitiveInputNeverShown(t *testing.T) {
	ports := flowtest.NewPorts()
	repo := &bodyRepo{Repo: ports.Repo}
	var logs syncBuffer
	h := newHarness(t, ports, "a", func(c *flow.Config) {
		c.Repo = repo
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	r := h.open("dev")
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
	h.settle()

	leaks := func(where, text string) {
		t.Helper()
		if strings.Contains(text, flowtest.SecretARN) || strings.Contains(text, "logs-1-AbCdEf") {
			t.Errorf("%s shows the sensitive value:\n%s", where, text)
		}
	}
	v := h.eng.View(context.Background(), h.get(r.ID))
	if v.Preview == nil {
		t.Fatal("no file on the confirm card")
	}
	if !strings.Contains(string(v.Preview.Content), `secret = "(sensitive)"`) {
		t.Errorf("confirm card's file does not redact the secret:\n%s", v.Preview.Content)
	}
	leaks("confirm card's file", string(v.Preview.Content))
	if lv := ports.Chat.LastView(r.ID); lv.Preview != nil {
		leaks("card drawn", string(lv.Preview.Content))
	}

	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	h.handle(r.ID, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(r.ID, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()

	// The reference itself goes to git: that is where the module reads it.
	files := ports.Repo.Files("tfpilot/" + r.ID)
	if len(files) != 1 || !strings.Contains(string(files[0].Content), flowtest.SecretARN) {
		t.Errorf("committed files = %+v, want the file with the secret's ARN", files)
	}
	repo.mu.Lock()
	bodies := strings.Join(repo.bodies, "\n---\n")
	repo.mu.Unlock()
	if bodies == "" {
		t.Fatal("no pull request was opened")
	}
	leaks("pull request description", bodies)
	leaks("replies", strings.Join(ports.Chat.Replies(r.ID), "\n"))
	leaks("notifications", strings.Join(ports.Chat.Notifications(r.ID), "\n"))
	recs := ports.Audit.Records(r.ID)
	if len(recs) == 0 {
		t.Fatal("no audit records")
	}
	audit, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	leaks("audit trail", string(audit))
	leaks("log", logs.String())
}
