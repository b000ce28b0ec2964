package command

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

// TestApproveAck: "approve <id> ack" approves accepting the findings of the
// plan that need acknowledgement (the console's and Slack's command form of
// the "Approve and acknowledge" button); ack belongs to approve only.
func TestApproveAck(t *testing.T) {
	r := &flow.Request{ID: "01900000-0000-7000-8000-00000000bbbb", Label: "00000000bbbb", State: flow.AwaitingApproval,
		Plan: &flow.PlanSummary{Resources: []flow.ResourceChange{
			{Address: "module.tfpilot_00000000bbbb.aws_s3_bucket.this", Action: "create"},
			{Address: "aws_iam_role.ci", Action: "update"}}}}
	rd := reader{pol: flow.Policy{Projects: []flow.Project{{Name: "local"}}}, rs: []*flow.Request{r}}
	tests := []struct {
		text string
		want []string // Event.Accepts
		err  bool
	}{
		{"approve 00000000bbbb ack", []string{"scope:update"}, false},
		{"approve 00000000bbbb ACK", []string{"scope:update"}, false},
		{"approve 00000000bbbb", nil, false},
		{"reject 00000000bbbb ack", nil, true},
		{"approve 00000000bbbb yes", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			c, err := Parse(tt.text)
			if (err != nil) != tt.err {
				t.Fatalf("Parse(%q) error %v, want error %v", tt.text, err, tt.err)
			}
			if err != nil {
				return
			}
			in, err := Interpret(context.Background(), rd, c, flow.Actor{ID: "bob"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, in.Event.Accepts); diff != "" {
				t.Errorf("Accepts (-want +got):\n%s", diff)
			}
		})
	}
}
