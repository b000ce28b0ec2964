package flow_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

// TestAuthorizeCancel pins who may cancel a request: its requester, and
// people the environment names as approvers or appliers, directly or
// through a group; "*" names nobody, so it never lets anyone cancel
// another person's request.
func TestAuthorizeCancel(t *testing.T) {
	pol := flow.Policy{Environments: []flow.Environment{
		{Name: "dev", Requesters: []string{"*"}, Approvers: []string{"*"}, Appliers: []string{"*"}},
		{Name: "prod", Requesters: []string{"*"}, Approvers: []string{"U3", "S1"}, Appliers: []string{"U4"}},
	}}
	tests := []struct {
		name string
		env  string
		who  flow.Actor
		want string // refusal text; "" when allowed
	}{
		{"requester", "dev", flow.Actor{ID: "U1"}, ""},
		{"anyone through * approvers and appliers", "dev", flow.Actor{ID: "U9", Name: "mallory"},
			"only alice, who requested it, or an approver or applier named in the dev policy can cancel this request"},
		{"approver", "prod", flow.Actor{ID: "U3"}, ""},
		{"approver through a group", "prod", flow.Actor{ID: "U8", Groups: []string{"S1"}}, ""},
		{"applier", "prod", flow.Actor{ID: "U4"}, ""},
		{"stranger", "prod", flow.Actor{ID: "U9"},
			"only alice, who requested it, or an approver or applier named in the prod policy can cancel this request"},
		{"environment not in the policy", "gone", flow.Actor{ID: "U3"}, "only alice, who requested it, can cancel this request"},
		{"requester in an environment not in the policy", "gone", flow.Actor{ID: "U1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &flow.Request{Requester: flow.Actor{ID: "U1", Name: "alice"}, Environment: tt.env}
			got := ""
			if err := pol.Authorize(flow.ActCancel, r, tt.who); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
}
