package console

import (
	"strconv"
	"strings"

	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
)

// view is what the console last printed about one request, so an update
// prints only what a person has not seen yet.
type view struct {
	version int64      // record version last printed; older records are skipped
	state   flow.State // state of the last full card
	planRun int64      // plan run whose plan the last full card showed
	problem string     // problem the last full card showed
	line    string     // status line last printed (or told by a reply)
	text    string     // last full card printed
	reply   string     // last reply printed, if nothing about the request was printed since
}

// asksToAct reports whether r's state waits for a person (choose, fill
// in, review, approve, apply, fix): those states get the full card.
func asksToAct(r *flow.Request) bool {
	switch r.State {
	case flow.ChoosingModule, flow.CollectingInputs, flow.Confirming, flow.AwaitingApproval,
		flow.Approved, flow.PlanFailed, flow.ApplyFailed, flow.Stale:
		return true
	}
	return r.FailedEffect != nil && !r.State.Terminal()
}

func planRunID(r *flow.Request) int64 {
	if r.Plan == nil || r.PlanRun == nil {
		return 0
	}
	return r.PlanRun.ID
}

// wantsFullCard reports whether an update of r deserves the full card: the
// request appears for the first time, enters a state that asks a person to
// act, has a new plan to show, or has a new problem.
func wantsFullCard(r *flow.Request, prev *view) bool {
	if prev == nil || prev.text == "" {
		return true
	}
	if !asksToAct(r) {
		return false
	}
	return r.State != prev.state || planRunID(r) != prev.planRun || (r.Problem != "" && r.Problem != prev.problem)
}

// replyFollows reports whether the transition r's card shows is told by a
// thread reply as well (a reply effect owed after its latest transition):
// the reply then carries the news and a status line would repeat it.
func replyFollows(r *flow.Request) bool {
	var last int64 = -1
	if n := len(r.History); n > 0 {
		last = r.History[n-1].Seq
	}
	for _, e := range r.Owed {
		if e.Kind != flow.EffReply {
			continue
		}
		seq, _, _ := strings.Cut(e.ID, "-")
		n, err := strconv.ParseInt(seq, 10, 64)
		if err != nil || n > last {
			return true
		}
	}
	return false
}

// statusLine is the compact update of r: "[label] planning · plan run 1 succeeded".
func statusLine(r *flow.Request, pol *flow.Policy) string {
	return card.StatusLine(r, pol)
}
