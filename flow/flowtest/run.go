package flowtest

import (
	"context"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
)

// RunEngine builds an engine from cfg and runs it until the test ends; the
// test fails if the engine cannot be built or Run returns an error.
func RunEngine(t testing.TB, cfg flow.Config) *flow.Engine {
	t.Helper()
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return eng
}
