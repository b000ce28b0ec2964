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

// TestConsoleNeverRepeatsSensitiveValues: a piped session's transcript
// (echoed lines, cards, replies) shows neither a sensitive input's
// reference nor a secret typed there by mistake.
func TestConsoleNeverRepeatsSensitiveValues(t *testing.T) {
	ports := flowtest.NewPorts()
	var out bytes.Buffer
	c, eng, stop := startConsole(t, ports, &out, "U1", nil)
	defer stop()

	script := strings.Join([]string{
		"/tfpilot new bucket env=dev Secret=" + flowtest.SecretARN,
		"secret=hunter2 versioning=false",
		"name=logs",
		"/tfpilot status last",
		"1", // Submit on the confirm card
	}, "\n")
	if err := c.Run(context.Background(), strings.NewReader(script)); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, leak := range []string{"hunter2", flowtest.SecretARN, "logs-1-AbCdEf"} {
		if strings.Contains(got, leak) {
			t.Errorf("output shows %q:\n%s", leak, got)
		}
	}
	for _, want := range []string{
		"U1> /tfpilot new bucket env=dev Secret=(sensitive)",
		"U1> secret=(sensitive) versioning=false",
		"secret: " + registry.SecretRefReason,
		`secret     = "(sensitive)"`, // the confirm card's file
		"secret = (sensitive)",       // its inputs
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; output:\n%s", want, got)
		}
	}
	rs, err := eng.List(context.Background(), flow.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Inputs["secret"] != flowtest.SecretARN || rs[0].State == flow.Confirming {
		t.Errorf("requests = %+v; want one submitted with the secret's ARN", rs)
	}
}
