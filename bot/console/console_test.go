package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestConsoleSession drives a real engine over the flow fakes with typed
// lines and checks what a person sees.
func TestConsoleSession(t *testing.T) {
	ports := flowtest.NewPorts()
	var out bytes.Buffer
	c, eng, stop := startConsole(t, ports, &out, "U1", nil)
	defer stop()

	script := strings.Join([]string{
		"/tfpilot new bucket env=dev",
		"name=NOT_OK",
		"name=logs",
		"1", // Submit on the confirm card
		"/tfpilot approve last",
		"/as U2",
		"1", // Approve on the card U1's refusal left on screen
		"/as U4",
		"/tfpilot new bucket env=dev",
		"/tfpilot approve last-5",
		"7",
	}, "\n")
	if err := c.Run(context.Background(), strings.NewReader(script)); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"U1> /tfpilot new bucket env=dev",
		"Inputs for bucket — reply with key=value",
		"input problems:\n  name: ",
		"Review and submit",
		"Awaiting approval (0 of 1)",
		"refused: you are not an approver for dev",
		"Approved by U2",
		"You are now U4.",
		"refused: you are not allowed to request changes in dev",
		`there are only 1 request(s), so "last-5" is none of them`,
		"the last card has",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; output:\n%s", want, got)
		}
	}
	rs, err := eng.List(context.Background(), flow.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].State != flow.Approved || rs[0].Inputs["name"] != "logs" {
		t.Errorf("requests = %d, first %+v; want one approved request named logs", len(rs), rs[0])
	}
}
