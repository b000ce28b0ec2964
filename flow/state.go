package flow

// State is where a request is in its lifecycle. See docs/flow.md.
type State int

// Request states. The zero value is invalid.
const (
	ChoosingModule   State = iota + 1 // thread started; project/module/environment not chosen yet
	CollectingInputs                  // module chosen; required inputs still missing or being edited
	Confirming                        // all inputs valid; rendered change shown, waiting for Submit
	OpeningPR                         // branch + commit + PR being created
	Planning                          // plan workflow dispatched / running
	AwaitingApproval                  // plan succeeded; approvals being collected
	Approved                          // enough approvals for the current plan
	Applying                          // apply workflow dispatched / running
	Applied                           // apply succeeded (PR merged or merging)
	AppliedNotMerged                  // apply succeeded; GitHub refused the merge (or it ran out of retries): Retry merge
	PlanFailed                        // plan run failed or could not be dispatched
	ApplyFailed                       // apply run failed
	Stale                             // branch or base moved after the plan: re-plan before approve/apply
	Rejected                          // an approver rejected the plan
	Cancelled                         // cancelled by a person; PR closed
)

var stateNames = map[State]string{
	ChoosingModule:   "choosing_module",
	CollectingInputs: "collecting_inputs",
	Confirming:       "confirming",
	OpeningPR:        "opening_pr",
	Planning:         "planning",
	AwaitingApproval: "awaiting_approval",
	Approved:         "approved",
	Applying:         "applying",
	Applied:          "applied",
	AppliedNotMerged: "applied_not_merged",
	PlanFailed:       "plan_failed",
	ApplyFailed:      "apply_failed",
	Stale:            "stale",
	Rejected:         "rejected",
	Cancelled:        "cancelled",
}

// States lists every state in declaration order.
func States() []State {
	out := make([]State, 0, len(stateNames))
	for s := ChoosingModule; s <= Cancelled; s++ {
		out = append(out, s)
	}
	return out
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "unknown"
}

// Terminal reports whether no further transition is possible (except that an
// applied create request may be the target of a destroy request).
func (s State) Terminal() bool { return s == Applied || s == Rejected || s == Cancelled }

// MarshalText encodes a state by name so stored records stay readable.
func (s State) MarshalText() ([]byte, error) { return s.AppendText(nil) }

// AppendText appends the state's name to b ("" for the zero state: none
// yet, e.g. the From of a request's first transition). Encoders use it
// rather than MarshalText, so a name is not built for each transition of a
// request's history on every write.
func (s State) AppendText(b []byte) ([]byte, error) {
	if s == 0 {
		return b, nil
	}
	return append(b, s.String()...), nil
}

// UnmarshalText decodes a state name.
func (s *State) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = 0
		return nil
	}
	for k, v := range stateNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return &UnknownNameError{Kind: "state", Name: string(b)}
}

// UnknownNameError reports a state, event or effect name that is not known.
type UnknownNameError struct{ Kind, Name string }

func (e *UnknownNameError) Error() string { return "unknown " + e.Kind + " " + e.Name }

// MarshalText encodes a kind by name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "create":
		*k = KindCreate
	case "destroy":
		*k = KindDestroy
	default:
		return &UnknownNameError{Kind: "kind", Name: string(b)}
	}
	return nil
}
