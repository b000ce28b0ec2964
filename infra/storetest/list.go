package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// listFixtures are requests that differ in every field a Filter selects on.
// Requests 3 and 4 were created at the same instant: List breaks the tie by
// ID.
func listFixtures() []*flow.Request {
	mk := func(n int, requester, env, project string, state flow.State, ts string, owing bool, created int) *flow.Request {
		r := minimal(n)
		r.Requester = flow.Actor{ID: requester}
		r.Environment, r.Project, r.State = env, project, state
		r.Thread = flow.Thread{Channel: "C1", TS: ts}
		if owing {
			r.Owed = []flow.Effect{{ID: "1-show_card", Kind: flow.EffShowCard}}
		}
		r.CreatedAt = base.Add(time.Duration(created) * time.Hour)
		return r
	}
	return []*flow.Request{
		mk(1, "U1", "dev", "payments", flow.Planning, "1.1", true, 3),
		mk(2, "U2", "prod", "payments", flow.Applied, "1.2", false, 1),
		mk(4, "U3", "dev", "web", flow.Cancelled, "1.4", false, 2),
		mk(3, "U1", "prod", "web", flow.AwaitingApproval, "1.3", true, 2),
	}
}

func testList(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	if got, err := s.List(ctx, flow.Filter{}); err != nil || len(got) != 0 {
		t.Fatalf("List on an empty store = %d requests, %v; want none", len(got), err)
	}
	stored := map[string]*flow.Request{}
	for _, r := range listFixtures() {
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
		stored[r.ID] = r
	}
	tests := []struct {
		name   string
		filter flow.Filter
		want   []string
	}{
		{"everything, oldest first", flow.Filter{}, []string{id(2), id(3), id(4), id(1)}},
		{"requester", flow.Filter{Requester: "U1"}, []string{id(3), id(1)}},
		{"environment", flow.Filter{Environment: "prod"}, []string{id(2), id(3)}},
		{"project", flow.Filter{Project: "web"}, []string{id(3), id(4)}},
		{"states", flow.Filter{States: []flow.State{flow.Planning, flow.Cancelled}}, []string{id(4), id(1)}},
		{"thread", flow.Filter{Thread: &flow.Thread{Channel: "C1", TS: "1.2"}}, []string{id(2)}},
		{"unknown thread", flow.Filter{Thread: &flow.Thread{Channel: "C2", TS: "1.2"}}, nil},
		{"owing", flow.Filter{Owing: true}, []string{id(3), id(1)}},
		{"requester and environment", flow.Filter{Requester: "U1", Environment: "prod"}, []string{id(3)}},
		{"nothing matches", flow.Filter{Requester: "U9"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := other.List(ctx, tc.filter)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
				if diff := cmp.Diff(stored[r.ID], r); diff != "" {
					t.Errorf("listed %s differs from what was stored (-want +got):\n%s", r.ID, diff)
				}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("listed IDs (-want +got):\n%s", diff)
			}
		})
	}
}
