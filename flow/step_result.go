package flow

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/registry"
)

// answers lists which effect kinds each result event may answer.
var answers = map[EventKind][]EffectKind{
	EvChangeOpened:    {EffOpenChange},
	EvPlanDispatched:  {EffDispatchPlan},
	EvPlanFinished:    {EffWatchRun},
	EvPlanFailed:      {EffWatchRun, EffDispatchPlan},
	EvApplyDispatched: {EffDispatchApply},
	EvApplyFinished:   {EffWatchRun},
	EvApplyFailed:     {EffWatchRun, EffDispatchApply},
	EvMerged:          {EffMergeChange},
	EvChangeMoved:     {EffMergeChange, EffDispatchApply},
	EvThreadStarted:   {EffShowCard},
}

// result steps an event that answers an owed effect.
func (s *stepper) result() error {
	ev := s.ev
	if ev.EffectID == "" {
		return fmt.Errorf("step %s: result without effect ID: %w", ev.Kind, ErrBadEvent)
	}
	i := owedIndex(s.r.Owed, ev.EffectID)
	eff := s.r.Owed[i]
	if kinds, ok := answers[ev.Kind]; ok && !slices.Contains(kinds, eff.Kind) {
		return fmt.Errorf("step %s: cannot answer effect %s: %w", ev.Kind, eff.ID, ErrBadEvent)
	}
	s.answered = &eff
	s.r.Owed = slices.Delete(s.r.Owed, i, i+1)
	switch ev.Kind {
	case EvEffectDone:
		if eff.Kind == EffCloseChange && s.r.Change != nil {
			s.r.Change.Closed = true
		}
		return nil
	case EvThreadStarted:
		if ev.Thread != nil && s.r.Thread.TS == "" {
			s.r.Thread = *ev.Thread
		}
		return nil
	case EvEffectFailed:
		return s.effectFailed(eff)
	case EvChangeOpened:
		return s.changeOpened()
	case EvPlanDispatched:
		return s.planDispatched()
	case EvPlanFinished:
		return s.planFinished()
	case EvPlanFailed:
		return s.planFailed()
	case EvApplyDispatched:
		return s.applyDispatched()
	case EvApplyFinished:
		return s.applyFinished()
	case EvApplyFailed:
		return s.applyFailed()
	case EvMerged:
		return s.merged()
	case EvChangeMoved:
		return s.changeMoved()
	}
	return fmt.Errorf("step %s: unknown result: %w", ev.Kind, ErrBadEvent)
}

// acknowledge steps, in place on r (the caller's own copy), the results
// that acknowledge light effects — EvEffectDone and EvThreadStarted for an
// audit, card, reply, notification or form — exactly as Step would one by
// one, without copying the request for each. Results for effects r no
// longer owes are no-ops; other events are left to Step. It reports whether
// r changed.
func acknowledge(r *Request, evs []Event) bool {
	changed := false
	for _, ev := range evs {
		if ev.Kind != EvEffectDone && ev.Kind != EvThreadStarted || ev.EffectID == "" {
			continue
		}
		i := owedIndex(r.Owed, ev.EffectID)
		if i < 0 || r.Owed[i].Kind.Heavy() || ev.Kind == EvThreadStarted && r.Owed[i].Kind != EffShowCard {
			continue
		}
		if ev.Kind == EvThreadStarted && ev.Thread != nil && r.Thread.TS == "" {
			r.Thread = *ev.Thread
		}
		r.Owed = slices.Delete(r.Owed, i, i+1)
		changed = true
	}
	return changed
}

// badResult is the error for a result that does not fit the state; it is
// not a person's doing, so it is not a UserError.
func (s *stepper) badResult() error {
	return fmt.Errorf("step %s in %s: %w", s.ev.Kind, s.from, ErrBadEvent)
}

func (s *stepper) effectFailed(eff Effect) error {
	if eff.Kind == EffMergeChange && s.from == Applied {
		return s.mergeFailed()
	}
	eff.LastErr = s.ev.Error
	s.r.FailedEffect = &eff
	s.problem = fmt.Sprintf("Could not %s: %s. Press Retry to try again.", effectVerb(eff.Kind), s.ev.Error)
	s.commit(s.from, eff.Kind.String()+" failed: "+s.ev.Error, s.problem, "")
	return nil
}

func effectVerb(k EffectKind) string {
	switch k {
	case EffOpenChange:
		return "open the pull request"
	case EffDispatchPlan:
		return "start the plan"
	case EffDispatchApply:
		return "start the apply"
	case EffWatchRun:
		return "follow the workflow run"
	case EffMergeChange:
		return "merge the pull request"
	case EffCloseChange:
		return "close the pull request"
	case EffMarkDestroyed:
		return "record the destroy on the request it destroyed"
	}
	return k.String()
}

func (s *stepper) changeOpened() error {
	if s.ev.Change == nil {
		return fmt.Errorf("step %s: no change: %w", s.ev.Kind, ErrBadEvent)
	}
	c := *s.ev.Change
	if s.r.Change != nil && s.r.Change.Merged {
		c.Merged, c.Closed = true, true // merged by hand: it stays planned from the base
	}
	s.r.Change = &c
	if s.ev.File != "" {
		s.r.File = s.ev.File
	}
	switch s.from {
	case OpeningPR:
		s.commit(Planning, "pull request "+changeRef(&c), "Pull request opened: "+changeRef(&c)+". Planning.", "")
		s.r.Redispatches = 0
		s.owe(Effect{Kind: EffDispatchPlan})
	case Cancelled, Rejected:
		s.commit(s.from, "pull request "+changeRef(&c)+" opened late; closing it", "", "")
		s.closeChange()
	default:
		return s.badResult()
	}
	return nil
}

func changeRef(c *Change) string {
	if c.URL != "" {
		return c.URL
	}
	if c.Number != 0 {
		return fmt.Sprintf("#%d", c.Number)
	}
	return c.Branch
}

func (s *stepper) planDispatched() error {
	if s.from != Planning || s.ev.Run == nil {
		return s.badResult()
	}
	run := *s.ev.Run
	s.r.PlanRun = &run
	if s.ev.Change != nil && s.r.Change != nil {
		c := *s.ev.Change // rebuilt on the current base at the run's turn
		s.r.Change = &c
	}
	s.commit(Planning, fmt.Sprintf("plan run %d dispatched", run.ID), "", "")
	s.owe(Effect{Kind: EffWatchRun, Workflow: WorkflowPlan})
	return nil
}

func (s *stepper) planFinished() error {
	if s.from != Planning || s.answered.Workflow != WorkflowPlan {
		return s.badResult()
	}
	carry := s.r.Carry
	s.r.Carry = nil // kept by this plan, or by none
	if s.foreignPlan() {
		return nil
	}
	if s.ev.Plan == nil {
		return s.badResult()
	}
	if s.ev.Run != nil {
		run := *s.ev.Run
		s.r.PlanRun = &run
	}
	s.r.Plan = clonePlan(s.ev.Plan)
	if s.ev.Plan.Errored {
		s.problem = "The plan reported errors; see the plan output, then edit or re-plan."
		s.commit(PlanFailed, "plan errored", s.problem, "Plan failed: "+s.summary())
		return nil
	}
	counts := s.ev.Plan.Counts()
	what := "Plan"
	if s.ev.Plan.Preview {
		// A static preview must never read as a Terraform plan.
		what = "Preview"
		counts += "; static preview, not a Terraform plan"
	}
	ready := what + " ready (" + counts + ")."
	note := strings.ToLower(what) + " " + counts
	if carry != nil {
		why := carryRefusal(&s.r, carry, s.ev)
		if why == "" {
			return s.carried(carry, what, counts)
		}
		kept, kind := "The approval of", "approval of"
		if len(carry.Approvals) == 0 {
			kept, kind = "The apply asked for", "apply asked for on"
		}
		ready = fmt.Sprintf("%s %s plan run %d does not carry over to it: %s.", ready, kept, carry.PlanRunID, why)
		note += fmt.Sprintf("; %s plan run %d not carried: %s", kind, carry.PlanRunID, why)
	}
	if s.required() == 0 {
		s.commit(Approved, note+"; no approval required", strings.TrimSuffix(ready, ".")+"; no approval needed. Ready to apply.",
			what+" ready, no approval needed ("+counts+"): "+s.summary())
		return nil
	}
	s.commit(AwaitingApproval, note, ready+" Waiting for approval.",
		what+" ready for approval ("+counts+"): "+s.summary())
	return nil
}

// foreignPlan makes the request stale when the plan run checked out a
// commit other than the one TfPilot built (someone pushed to the branch
// before the run was dispatched): such a plan is neither shown nor approvable.
// It reports whether it did.
func (s *stepper) foreignPlan() bool {
	run := s.ev.Run
	if run == nil || run.HeadSHA == "" || s.r.Change == nil || s.r.Change.HeadSHA == "" || run.HeadSHA == s.r.Change.HeadSHA {
		return false
	}
	kept := *run
	s.r.PlanRun = &kept
	s.r.Plan = nil
	who := orDefault(run.HeadAuthor, "an unknown author")
	s.problem = fmt.Sprintf("The plan ran on commit %s by %s, not on TfPilot's commit %s: someone pushed to %s. "+
		"Press Re-plan to plan TfPilot's change again.", ShortSHA(run.HeadSHA), who, ShortSHA(s.r.Change.HeadSHA), s.r.Change.Branch)
	s.commit(Stale, "plan ran on commit "+run.HeadSHA+" by "+who+", not TfPilot's "+s.r.Change.HeadSHA, s.problem, "")
	return true
}

// ShortSHA is the 7-character abbreviation of a commit people know from
// git; adapters name commits in their errors with it too.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func (s *stepper) planFailed() error {
	if s.from != Planning {
		return s.badResult()
	}
	if s.foreignPlan() {
		return nil
	}
	if s.ev.Run != nil {
		run := *s.ev.Run
		s.r.PlanRun = &run
	}
	if s.redispatch(Effect{Kind: EffDispatchPlan}) {
		return nil
	}
	s.r.Carry = nil
	s.problem = "The plan failed: " + orDefault(s.ev.Error, "no details") + ". Edit the inputs or re-plan."
	s.commit(PlanFailed, "plan failed: "+s.ev.Error, s.problem, "Plan failed: "+s.summary())
	return nil
}

func (s *stepper) applyDispatched() error {
	if s.from != Applying || s.ev.Run == nil {
		return s.badResult()
	}
	run := *s.ev.Run
	s.r.ApplyRun = &run
	s.commit(Applying, fmt.Sprintf("apply run %d dispatched", run.ID), "", "")
	s.owe(Effect{Kind: EffWatchRun, Workflow: WorkflowApply})
	return nil
}

func (s *stepper) applyFinished() error {
	if s.from != Applying || s.answered.Workflow != WorkflowApply {
		return s.badResult()
	}
	if s.ev.Run != nil {
		run := *s.ev.Run
		s.r.ApplyRun = &run
	}
	s.commit(Applied, "applied", "Applied. Merging the pull request.", "Applied: "+s.summary())
	if s.r.Change != nil {
		s.owe(Effect{Kind: EffMergeChange})
	}
	if s.r.Kind == KindDestroy && s.r.Target != "" {
		s.owe(Effect{Kind: EffMarkDestroyed})
	}
	return nil
}

// destroyed records on an applied create request that the destroy request
// ev.Target applied, so its card, status and list line say it is gone.
func (s *stepper) destroyed() error {
	// A target whose own merge was refused is applied all the same: what
	// it created is gone, so it records the destroy and keeps its state.
	if !s.in(Applied, AppliedNotMerged) || s.r.Kind != KindCreate || s.ev.Target == "" || !s.r.DestroyedAt.IsZero() {
		return s.refuse()
	}
	s.r.DestroyedBy, s.r.DestroyedAt = s.ev.Target, s.ev.At
	label := registry.Label(s.ev.Target)
	s.commit(s.from, "destroyed by request "+label, "Destroyed by request "+label+".", "")
	return nil
}

func (s *stepper) applyFailed() error {
	if s.from != Applying {
		return s.badResult()
	}
	if s.ev.Run != nil {
		run := *s.ev.Run
		s.r.ApplyRun = &run
	}
	if s.r.PlanRun != nil && s.redispatch(Effect{Kind: EffDispatchApply, PlanRunID: s.r.PlanRun.ID}) {
		return nil
	}
	s.problem = "The apply failed: " + orDefault(s.ev.Error, "no details") + ". Re-plan to see what is left, or cancel."
	s.commit(ApplyFailed, "apply failed: "+s.ev.Error, s.problem, "Apply failed: "+s.summary())
	return nil
}

// MaxRedispatches is how often one plan or apply attempt is dispatched
// again after GitHub cancelled its queued run before it started.
const MaxRedispatches = 3

// redispatch owes dispatch again, in the same state, when the run the
// watch followed was cancelled before it started because a newer run took
// its pending place in the concurrency group (queue: single): nobody
// cancelled it, so it is neither a failure nor the end of the attempt, and
// an apply keeps its approvals (it applies the same plan run). It reports
// whether it did; past MaxRedispatches the run counts as cancelled.
func (s *stepper) redispatch(dispatch Effect) bool {
	run := s.ev.Run
	if s.answered.Kind != EffWatchRun || run == nil || run.Status != RunCancelledPending || s.r.Redispatches >= MaxRedispatches {
		return false
	}
	s.r.Redispatches++
	what := fmt.Sprintf("GitHub cancelled the queued %s run %d before it started (a newer run took its place); dispatched it again (%d of %d)",
		run.Workflow, run.ID, s.r.Redispatches, MaxRedispatches)
	s.commit(s.from, fmt.Sprintf("%s run %d cancelled before it started; dispatched again (%d of %d)", run.Workflow, run.ID, s.r.Redispatches, MaxRedispatches),
		what+".", "")
	s.owe(dispatch)
	return true
}

// mergeFailed: the apply went through but the pull request could not be
// merged. That is a state of its own, so the card says so, offers Retry
// merge, and (see Engine) keeps other requests of the environment from
// being approved or applied meanwhile.
func (s *stepper) mergeFailed() error {
	reason := orDefault(s.ev.Error, "no details")
	s.r.MergeRefusal = reason
	// The card's state says the reason; the problem says what to do.
	s.problem = "The pull request was not merged. Fix what GitHub reports, then press Retry merge."
	s.commit(AppliedNotMerged, "merge failed: "+reason,
		"Applied, but the pull request was not merged: "+strings.TrimSuffix(reason, ".")+". Fix that, then press Retry merge.",
		"Applied but not merged ("+reason+"): "+s.summary())
	return nil
}

func (s *stepper) merged() error {
	if s.from != Applied {
		return s.badResult()
	}
	if s.ev.Change != nil {
		c := *s.ev.Change
		s.r.Change = &c
	} else if s.r.Change != nil {
		s.r.Change.Merged = true
	}
	s.commit(Applied, "pull request merged", "Pull request merged.", "")
	// The base moved under every other plan of the environment: they re-plan.
	s.owe(Effect{Kind: EffReplanOthers})
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// queued records where the owed dispatch ev.EffectID waits in the
// environment's run queue. The first place is a transition of its own (a
// history line, an audit record, the card); a later one only redraws the
// card, so a long wait does not fill the history.
func (s *stepper) queued() error {
	i := owedIndex(s.r.Owed, s.ev.EffectID)
	if s.ev.Queue == nil || s.ev.Actor.ID != System.ID ||
		!(s.from == Planning && s.r.Owed[i].Kind == EffDispatchPlan || s.from == Applying && s.r.Owed[i].Kind == EffDispatchApply) {
		return s.badResult()
	}
	place := *s.ev.Queue
	first := s.r.Queue == nil
	s.r.Queue = &place
	if !first {
		s.owe(Effect{Kind: EffShowCard})
		return nil
	}
	note := fmt.Sprintf("%s queued: %s ahead in %s", place.Workflow, runsAhead(place.Ahead), s.r.Environment)
	if place.Foreign {
		note += " (not started by TfPilot)"
	}
	s.commit(s.from, note, "", "")
	return nil
}

// runsAhead is "1 run" or "N runs".
func runsAhead(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}

// owesDispatch reports whether r owes a plan or apply dispatch.
func owesDispatch(r *Request) bool {
	return slices.ContainsFunc(r.Owed, func(e Effect) bool { return e.Kind == EffDispatchPlan || e.Kind == EffDispatchApply })
}
