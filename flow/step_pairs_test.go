package flow_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

const (
	none = flow.State(0)
	// noopResult marks a result for which nothing is owed (a request not
	// started yet owes nothing): a no-op, not an error.
	noopResult = flow.State(-1)
	// duplicate marks a friendly ErrDuplicate refusal.
	duplicate = flow.State(-2)
)

var (
	allStates = append([]flow.State{none}, flow.States()...)
	resultOK  = func(to flow.State) map[flow.State]flow.State {
		m := map[flow.State]flow.State{none: noopResult}
		for _, s := range flow.States() {
			m[s] = s
		}
		return m
	}
)

// accepts says, per event, which states accept it and where it leads; every
// state not listed must refuse it with ErrBadEvent and leave the request
// unchanged.
var accepts = map[flow.EventKind]map[flow.State]flow.State{
	flow.EvStart:        {none: flow.ChoosingModule},
	flow.EvStartDestroy: {none: flow.OpeningPR},
	flow.EvChooseModule: {flow.ChoosingModule: flow.CollectingInputs, flow.CollectingInputs: flow.CollectingInputs, flow.Confirming: flow.CollectingInputs},
	flow.EvSetInputs:    {flow.CollectingInputs: flow.Confirming, flow.Confirming: flow.Confirming},
	flow.EvEdit: {flow.CollectingInputs: flow.CollectingInputs, flow.Confirming: flow.CollectingInputs, flow.AwaitingApproval: flow.CollectingInputs,
		flow.Approved: flow.CollectingInputs, flow.Stale: flow.CollectingInputs, flow.PlanFailed: flow.CollectingInputs, flow.ApplyFailed: flow.CollectingInputs},
	flow.EvConfirm: {flow.Confirming: flow.OpeningPR},
	flow.EvApprove: {flow.AwaitingApproval: flow.Approved, flow.Approved: duplicate},
	flow.EvReject:  {flow.AwaitingApproval: flow.Rejected, flow.Approved: flow.Rejected},
	flow.EvApply:   {flow.Approved: flow.Applying},
	flow.EvReplan: {flow.AwaitingApproval: flow.Planning, flow.Approved: flow.Planning, flow.Stale: flow.OpeningPR,
		flow.PlanFailed: flow.Planning, flow.ApplyFailed: flow.Planning},
	flow.EvCancel: {flow.ChoosingModule: flow.Cancelled, flow.CollectingInputs: flow.Cancelled, flow.Confirming: flow.Cancelled,
		flow.OpeningPR: flow.Cancelled, flow.Planning: flow.Cancelled, flow.AwaitingApproval: flow.Cancelled, flow.Approved: flow.Cancelled,
		flow.Stale: flow.Cancelled, flow.PlanFailed: flow.Cancelled, flow.ApplyFailed: flow.Cancelled},
	flow.EvRetry: {flow.ChoosingModule: flow.ChoosingModule, flow.CollectingInputs: flow.CollectingInputs, flow.Confirming: flow.Confirming,
		flow.OpeningPR: flow.OpeningPR, flow.Planning: flow.Planning, flow.AwaitingApproval: flow.AwaitingApproval, flow.Approved: flow.Approved,
		flow.Applying: flow.Applying, flow.Applied: flow.Applied, flow.PlanFailed: flow.PlanFailed, flow.ApplyFailed: flow.ApplyFailed,
		flow.Stale: flow.Stale, flow.Rejected: flow.Rejected, flow.Cancelled: flow.Cancelled, flow.AppliedNotMerged: flow.AppliedNotMerged},
	flow.EvRetryMerge:      {flow.AppliedNotMerged: flow.Applied},
	flow.EvChangeMoved:     {flow.AwaitingApproval: flow.Stale, flow.Approved: flow.Stale},
	flow.EvChangeOpened:    {none: noopResult, flow.OpeningPR: flow.Planning, flow.Cancelled: flow.Cancelled, flow.Rejected: flow.Rejected},
	flow.EvPlanDispatched:  {none: noopResult, flow.Planning: flow.Planning},
	flow.EvPlanFinished:    {none: noopResult, flow.Planning: flow.AwaitingApproval},
	flow.EvPlanFailed:      {none: noopResult, flow.Planning: flow.PlanFailed},
	flow.EvApplyDispatched: {none: noopResult, flow.Applying: flow.Applying},
	flow.EvApplyFinished:   {none: noopResult, flow.Applying: flow.Applied},
	flow.EvApplyFailed:     {none: noopResult, flow.Applying: flow.ApplyFailed},
	flow.EvMerged:          {none: noopResult, flow.Applied: flow.Applied},
	flow.EvEffectFailed:    resultOK(0),
	flow.EvEffectDone:      resultOK(0),
	flow.EvThreadStarted:   resultOK(0),
	flow.EvDestroyed:       {flow.Applied: flow.Applied, flow.AppliedNotMerged: flow.AppliedNotMerged},
	flow.EvChangeClosed: {flow.AwaitingApproval: flow.Cancelled, flow.Approved: flow.Cancelled, flow.Stale: flow.Cancelled,
		flow.PlanFailed: flow.Cancelled, flow.ApplyFailed: flow.Cancelled},
	flow.EvQueued:     {none: noopResult, flow.Planning: flow.Planning},
	flow.EvBaseMerged: {flow.AwaitingApproval: flow.OpeningPR, flow.Approved: flow.OpeningPR, flow.Stale: flow.OpeningPR},
}

// TestStepEveryPair steps every event kind in every state.
func TestStepEveryPair(t *testing.T) {
	for _, k := range flow.EventKinds() {
		want, ok := accepts[k]
		if !ok {
			t.Errorf("event %s has no row in the pair table", k)
			continue
		}
		for _, s := range allStates {
			t.Run(k.String()+"/"+name(s), func(t *testing.T) {
				in := fixture(s)
				ev := pairEvent(&in, k)
				before := *flow.CloneRequest(&in)
				got, effs, err := flow.Step(in, ev, flowtest.Policy())
				if diff := cmp.Diff(before, in); diff != "" {
					t.Fatalf("Step mutated its input (-before +after):\n%s", diff)
				}
				to, accepted := want[s]
				switch {
				case !accepted || to == duplicate:
					sentinel := flow.ErrBadEvent
					if to == duplicate {
						sentinel = flow.ErrDuplicate
					}
					if !errors.Is(err, sentinel) {
						t.Fatalf("err = %v, want %v", err, sentinel)
					}
					var ue *flow.UserError
					if !isResultKind(k) && !errors.As(err, &ue) {
						t.Errorf("refusal of a person event is not a *UserError: %v", err)
					}
					if diff := cmp.Diff(in, got); diff != "" || effs != nil {
						t.Errorf("refused event changed the request (-in +got):\n%s effects %v", diff, effs)
					}
				case to == noopResult:
					if err != nil || effs != nil || !cmp.Equal(in, got) {
						t.Errorf("want no-op, got err %v effects %v", err, effs)
					}
				default:
					if err != nil {
						t.Fatalf("err = %v, want -> %s", err, to)
					}
					if got.State != to {
						t.Errorf("state = %s, want %s", got.State, to)
					}
				}
			})
		}
	}
}

func name(s flow.State) string {
	if s == 0 {
		return "none"
	}
	return s.String()
}

func isResultKind(k flow.EventKind) bool {
	_, ok := answered[k]
	return ok
}

// TestStepEdgesMatchTable checks that the state-changing transitions seen in
// the pair table are exactly flow.Edges() (less the variants the pair table
// does not drive, which TestStepRules covers).
func TestStepEdgesMatchTable(t *testing.T) {
	seen := map[flow.Edge]bool{}
	for k, m := range accepts {
		for from, to := range m {
			if to >= 0 && to != from {
				seen[flow.Edge{From: from, Event: k, To: to}] = true
			}
		}
	}
	for _, e := range ruleEdges() {
		seen[e] = true
	}
	table := map[flow.Edge]bool{}
	for _, e := range flow.Edges() {
		table[e] = true
	}
	if diff := cmp.Diff(table, seen); diff != "" {
		t.Errorf("Edges() vs transitions driven by the tests (-table +driven):\n%s", diff)
	}
}
