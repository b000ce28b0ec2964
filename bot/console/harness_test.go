package console

import (
	"context"
	"io"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// startConsole runs a real engine over ports with a console writing to out
// as user; chat, when set, wraps the console's screen as the engine's chat.
// stop ends the engine and waits for it: call it before reading out.
func startConsole(t *testing.T, ports *flowtest.Ports, out io.Writer, user string, chat func(*Screen) flow.Chat) (c *Console, eng *flow.Engine, stop func()) {
	t.Helper()
	screen := NewScreen(Options{Out: out, User: user})
	cfg := ports.Config("test")
	cfg.Chat = screen
	if chat != nil {
		cfg.Chat = chat(screen)
	}
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return New(screen, eng), eng, stop
}
