package console

import (
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
)

// TestConsoleNewUserMistakes checks the answers to what a new user tries
// first: each answer says what is wrong in words true to the request.
func TestConsoleNewUserMistakes(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		want   []string
		not    []string
	}{
		{"reject a request still choosing", []string{"/tfpilot", "/tfpilot reject last"},
			[]string{"there is no plan to reject yet: the request is still choosing a module; cancel it instead\n"},
			[]string{"no plan to approve"}},
		{"reject a request collecting inputs", []string{"/tfpilot new bucket env=dev", "/tfpilot reject last"},
			[]string{"there is no plan to reject yet: the request is still collecting inputs; cancel it instead\n"}, nil},
		{"modules of an unknown project", []string{"/tfpilot modules nosuchproject"},
			[]string{`project "nosuchproject" is not configured; choose one of demo` + "\n"},
			[]string{"Modules of nosuchproject"}},
		{"cancel another person's request", []string{"/tfpilot new bucket env=sandbox", "/as U9", "/tfpilot cancel last"},
			[]string{"refused: only U1, who requested it, or an approver or applier named in the sandbox policy can cancel this request\n"},
			[]string{"Cancelled by U9"}},
		{"a plan that needs no approval", []string{"/tfpilot new bucket env=sandbox name=logs", "1", "/tfpilot status last"},
			[]string{"\nReady to apply (no approval needed in sandbox)\n"},
			[]string{"Approved: ready to apply"}},
		{"status of a destroyed request", []string{"/tfpilot new bucket env=sandbox name=logs", "1", "/tfpilot apply last",
			"/tfpilot destroy last", "/tfpilot apply last", "/tfpilot status last-1"},
			[]string{"== Create bucket in sandbox ==\nDestroyed by request ", " | Destroyed by: "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rs := session(t, "U1", strings.Join(tt.script, "\n"))
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q; output:\n%s", want, out)
				}
			}
			for _, not := range tt.not {
				if strings.Contains(out, not) {
					t.Errorf("output has %q; output:\n%s", not, out)
				}
			}
			for _, r := range rs {
				if r.State == flow.Cancelled && r.Requester.ID != "U9" {
					t.Errorf("request %s of %s was cancelled", r.ID, r.Requester.ID)
				}
			}
		})
	}
}
