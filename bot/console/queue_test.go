package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// lockedBuffer is a bytes.Buffer the console writes from the engine's
// goroutines while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestConsoleQueuedStatus: two requests in sandbox submitted back to back
// (lines typed without waiting for the engine, as a person at a terminal
// does): while the first one's plan runs, the console shows the second
// queued one run behind it; once the first run ends the second plans and
// its plan is shown ready.
func TestConsoleQueuedStatus(t *testing.T) {
	ports := flowtest.NewPorts()
	gate := ports.Runs.Block("Status:plan")
	out := &lockedBuffer{}
	c, eng, stop := startConsole(t, ports, out, "U1", nil)
	defer stop()
	ctx := context.Background()
	// waitOut waits until the output shows want n times: a person reads
	// the card before pressing its button.
	waitOut := func(want string, n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); strings.Count(out.String(), want) < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("output never shows %q %d times; output:\n%s", want, n, out)
			}
		}
	}
	c.Line(ctx, "/tfpilot new bucket env=sandbox name=first")
	waitOut("[1] Submit", 1)
	c.Line(ctx, "1")
	select {
	case <-gate.Entered(): // the first plan runs (and stays running)
	case <-time.After(5 * time.Second):
		t.Fatalf("the first plan never ran; output:\n%s", out)
	}
	c.Line(ctx, "/tfpilot new bucket env=sandbox name=second")
	waitOut("[1] Submit", 2)
	c.Line(ctx, "1")
	rs, err := eng.List(ctx, flow.Filter{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("requests %d, err %v; output:\n%s", len(rs), err, out)
	}
	second := registry.Label(rs[1].ID)
	queued := "[" + second + "] queued: 1 run ahead in sandbox"
	waitOut(queued, 1)
	gate.Release()
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if err := eng.Settle(sctx); err != nil {
		t.Fatal(err)
	}
	rs, err = eng.List(ctx, flow.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.State != flow.AwaitingApproval && r.State != flow.Approved {
			t.Errorf("%s: state %s problem %q; output:\n%s", r.ID, r.State, r.Problem, out)
		}
	}
	got := out.String()
	if i := strings.Index(got, queued); i < 0 || !strings.Contains(got[i:], "["+second+"] Plan ready") {
		t.Errorf("no plan shown after the second request's queued line; output:\n%s", got)
	}
}
