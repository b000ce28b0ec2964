package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// session runs script through a console over the flow fakes and returns
// the output and the requests made, oldest first. A plan or apply run does
// not finish until the console has been shown its request running it (see
// runsWait), so the "planning · plan run …" and "applying · apply run …"
// lines are there to check however the goroutines are scheduled.
func session(t *testing.T, user, script string) (string, []*flow.Request) {
	t.Helper()
	return sessionWith(t, flowtest.NewPorts(), user, script)
}

// sessionWith is session over the given fakes.
func sessionWith(t *testing.T, ports *flowtest.Ports, user, script string) (string, []*flow.Request) {
	t.Helper()
	var out bytes.Buffer
	c, eng, stop := startConsole(t, ports, &out, user, func(screen *Screen) flow.Chat {
		return runsWait{screen, ports.Runs.Block("Status:plan"), ports.Runs.Block("Status:apply")}
	})
	defer stop()
	if err := c.Run(context.Background(), strings.NewReader(script)); err != nil {
		t.Fatal(err)
	}
	rs, err := eng.List(context.Background(), flow.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), rs
}

// runsWait is the console as the engine's chat, holding the first plan run
// and the first apply run until the console has been shown a request in
// the state that waits on that run. The engine shows a card from the latest
// record, so a run that finished before the card was shown skips that state
// on screen: a real run takes minutes, the fake's finishes at once and,
// when the engine's runner is slow to get the CPU, first.
type runsWait struct {
	*Screen
	plan, apply *flowtest.Gate
}

// ShowCard implements flow.Chat: the console shows r, then the run r is
// waiting on may finish.
func (w runsWait) ShowCard(ctx context.Context, v flow.View) (flow.Thread, error) {
	th, err := w.Screen.ShowCard(ctx, v)
	r := v.Request
	switch {
	case err != nil:
	case r.State == flow.Planning && r.PlanRun != nil:
		w.plan.Release()
	case r.State == flow.Applying && r.ApplyRun != nil:
		w.apply.Release()
	}
	return th, err
}

// TestConsoleUpdates checks what a person sees as a request moves: the full
// card only when it appears, when its plan is ready and when someone must
// act; one status line for other updates unless a reply tells them; every
// line labelled with the request's own ID, a destroy request's too.
func TestConsoleUpdates(t *testing.T) {
	out, rs := session(t, "U1", strings.Join([]string{
		"/tfpilot new bucket env=sandbox name=logs",
		"1", // Submit
		"/tfpilot apply last",
		"/tfpilot destroy last",
		"/tfpilot apply last",
		"/tfpilot list all",
	}, "\n"))
	if len(rs) != 2 || rs[0].State != flow.Applied || rs[1].State != flow.Applied || rs[1].Kind != flow.KindDestroy {
		t.Fatalf("requests: %d, want an applied create and an applied destroy; output:\n%s", len(rs), out)
	}
	create, destroy := registry.Label(rs[0].ID), registry.Label(rs[1].ID)
	if create == destroy {
		t.Fatalf("labels of create and destroy are both %s", create)
	}
	// Full cards: the confirm card and the plan-ready card of the create
	// request; the destroy request when it appears and when its plan is ready.
	if n := strings.Count(out, "== Create bucket in sandbox =="); n != 2 {
		t.Errorf("create request's full card shown %d times, want 2 (review, plan ready); output:\n%s", n, out)
	}
	if n := strings.Count(out, "== Destroy "+create+" (bucket) in sandbox =="); n != 2 {
		t.Errorf("destroy request's full card shown %d times, want 2 (appears, plan ready); output:\n%s", n, out)
	}
	for _, want := range []string{
		"Request: " + create + " | Requested by: U1",
		"[" + create + "] planning · plan run ",
		"[" + create + "] applying · apply run ",
		"[" + create + "] Pull request merged.",
		"[notifications] [" + create + "] ",
		"Request: " + destroy + " | Destroys: " + create,
		"[" + destroy + "] Opening a pull request that deletes",
		"[notifications] [" + destroy + "] ",
		"[" + create + "] Destroyed by request " + destroy + ".",
		create + " · Create bucket in sandbox · destroyed by " + destroy + " · U1",
		destroy + " · Destroy " + create + " (bucket) in sandbox · applied · U1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
	// A status line never repeats a reply's news nor itself.
	lines := strings.Split(out, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" && lines[i] == lines[i-1] && strings.HasPrefix(lines[i], "[") {
			t.Errorf("line %d repeats the one before: %q", i, lines[i])
		}
	}
	for _, not := range []string{"[" + create + "] opening the pull request", "[" + create + "] applied", "Request: " + create + " | Destroys"} {
		if strings.Contains(out, not) {
			t.Errorf("output has %q; output:\n%s", not, out)
		}
	}
}

// TestConsoleMistakes checks that wrong commands say what to do, and that
// a bad input creates nothing and spoils no good input on its line.
func TestConsoleMistakes(t *testing.T) {
	out, rs := session(t, "U1", strings.Join([]string{
		"/tfpilot new nosuch env=dev",
		"/tfpilot new bucket env=staging name=x",
		"/tfpilot new bucket name=x",
		"/tfpilot new bucket env=dev name=NOT_OK",
		"/tfpilot new bucket env=dev nosuch=1 versioning=yes",
		"/tfpilot new bucket env=dev",
		"versioning=yes",
		"name=logs nosuch=1",
		"1", // Submit
		"/tfpilot apply last",
		"7",
		"hello",
	}, "\n"))
	for _, want := range []string{
		`there is no module "nosuch" in demo; the modules are bucket`,
		`there is no environment "staging"; use one of dev, prod, sandbox, e.g. /tfpilot new bucket env=dev`,
		"which environment? add env=<environment>, one of dev, prod, sandbox, e.g. /tfpilot new bucket env=dev",
		"input problems:\n  name: Use 3-40 lowercase letters, digits or dashes.\nNothing was created: send the /tfpilot new line again with these corrected",
		"input problems:\n  nosuch: unknown input; inputs are: name, versioning, secret\nNothing was created",
		"] set versioning. Still needed: name.\n",
		"input problems:\n  nosuch: unknown input; inputs are: name, versioning, secret\nThe rest of that line was set (name); send these again corrected (they go to request ",
		"this plan is still awaiting approval; it can be applied once it is approved\n",
		"is awaiting approval (0 of 1): an approver other than U1 runs /tfpilot approve ",
		"the last card has 5 button(s), not 7",
		"type a /tfpilot command, key=value inputs, a button number, or help\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
	// The confirm card the good input led to comes before the problems.
	if card, problems := strings.Index(out, "Review and submit"), strings.LastIndex(out, "input problems:"); card < 0 || card > problems {
		t.Errorf("want the confirm card before the problems of its line; output:\n%s", out)
	}
	// Only the request opened without inputs exists, and it kept name=logs
	// from the line that also had a bad key.
	if len(rs) != 1 || rs[0].Inputs["name"] != "logs" || rs[0].State != flow.AwaitingApproval {
		t.Errorf("requests: %d, want one awaiting approval with name=logs; output:\n%s", len(rs), out)
	}
	if strings.Contains(out, "(type help) (type help)") || strings.Contains(out, "help (type help)") {
		t.Errorf("help pointer doubled; output:\n%s", out)
	}
}
