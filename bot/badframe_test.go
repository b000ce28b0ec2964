package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// TestBadFrameLogsNoPayload: a frame slack-go cannot parse is logged with
// its cause and size, never its payload. A slash command's payload holds
// what the person typed (a secret typed by mistake into a sensitive input)
// and Slack's verification token; one with a field of the wrong type is
// such a frame.
func TestBadFrameLogsNoPayload(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := slackfake.New()
	defer fake.Close()
	core, logs := observer.New(zap.DebugLevel)
	logger := zaptest.NewLogger(t, zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) })))
	opts := Options{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.APIURL(), Logger: logger, PostInterval: -1, Workers: 1}
	chat, err := NewChat(opts)
	if err != nil {
		t.Fatal(err)
	}
	ports := flowtest.NewPorts()
	cfg := ports.Config("test")
	cfg.Chat, cfg.Policy = chat, e2ePolicy()
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Engine, opts.Chat = eng, chat
	s, err := NewSlack(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- eng.Run(ctx) }()
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		<-done
	}()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	const secret, token = "hunter2-db-password", "verification-token-abc"
	sendCtx, stop := context.WithTimeout(ctx, 100*time.Millisecond) // a bad frame is never acked
	defer stop()
	go func() {
		_, _ = fake.Send(sendCtx, slackfake.Envelope{Type: "slash_commands", Payload: map[string]any{
			"token": token, "command": "/tfpilot", "user_id": "U1", "channel_id": "C1",
			"text": "new app db_password_arn=" + secret, "is_enterprise_install": "not a bool",
		}})
	}()
	var entry observer.LoggedEntry
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if found := logs.FilterField(zap.String("event", "error_bad_message")).All(); len(found) > 0 {
			entry = found[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bad-message log entry; entries: %v", logs.All())
		}
	}
	// The line as a JSON log would write it.
	buf, err := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()).EncodeEntry(entry.Entry, entry.Context)
	if err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, leak := range []string{secret, token} {
		if strings.Contains(line, leak) {
			t.Errorf("bad-frame log entry holds %q: %s", leak, line)
		}
	}
}
