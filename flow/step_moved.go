package flow

import (
	"github.com/tfpilot/tfpilot/registry"
)

// The events of a change that moved, merged or closed under a request's
// plan: another request merged (base_merged), the branch or its base
// moved (change_moved), the pull request was closed or merged outside
// TfPilot (change_closed).

// baseMerged re-plans a request whose change was built before another
// request of its environment (ev.Target) merged: its branch lacks what that
// one applied, so its plan would undo it. Like re-plan from stale, the
// change is rebuilt on the new base first; the plan and its approvals no
// longer count.
func (s *stepper) baseMerged() error {
	if !s.in(AwaitingApproval, Approved, Stale) || s.r.Change == nil || s.ev.Target == "" {
		return s.refuse()
	}
	label := orDefault(s.ev.Label, registry.Label(s.ev.Target))
	if s.from == Stale {
		s.invalidatePlan() // a stale plan's approvals are not carried
	} else {
		s.replanByItself()
	}
	text := label + " was merged; planning again on the new base, since the plan before it would have undone what " + label + " applied."
	if s.r.Carry != nil {
		text += " If the new plan makes the same changes, the approval carries over."
	}
	s.commit(OpeningPR, "request "+label+" merged; re-plan on the new base", text, "")
	s.owe(Effect{Kind: EffOpenChange})
	return nil
}

// changeMoved handles a branch or base that moved after the plan: from the
// engine's check before approve/apply (no effect ID), or from a merge that
// found the base moved (answering the merge effect).
func (s *stepper) changeMoved() error {
	if !s.in(AwaitingApproval, Approved) && !(s.in(Applied, Applying) && s.answered != nil) && !(s.answered == nil && applyNotStarted(&s.r)) {
		if s.answered == nil {
			return s.refuse()
		}
		return s.badResult()
	}
	onlyBase := s.in(AwaitingApproval, Approved) && s.answered == nil && baseOnlyMoved(&s.r, s.ev.Change)
	pushed := !headUnchanged(&s.r, s.ev.Change)
	var carry *Carry
	if onlyBase || s.from == Applying && s.answered != nil && s.ev.HeldBy == "" && !pushed {
		carry = s.carryOver() // of the plan on the base it was made on
	}
	if s.ev.Change != nil && s.r.Change != nil {
		c := *s.ev.Change
		s.r.Change = &c
	}
	if onlyBase {
		// Another change landed on the base branch (another request's
		// merge, most often) and nobody touched this branch: the plan is
		// made again on the new base by itself, as base_merged does,
		// rather than left stale for someone to press Re-plan.
		s.invalidatePlan()
		s.r.Carry = carry
		s.commit(OpeningPR, "base moved after the plan; re-plan on the new base",
			"The base branch moved after this plan (another change landed in "+s.r.Environment+"), so it is planned again on the new base; "+carryHint(&s.r, s.p, carry, false), "")
		s.owe(Effect{Kind: EffOpenChange})
		return nil
	}
	if s.from == Applying && s.answered != nil {
		// Its apply waited in the queue while another change landed: the
		// saved plan no longer describes what applying it would do, so it
		// is planned again on the new base, as base_merged does.
		s.invalidatePlan()
		if s.ev.HeldBy != "" {
			s.commit(OpeningPR, s.r.Environment+" held by "+s.ev.HeldBy+" while the apply waited for its turn; re-plan",
				s.ev.HeldBy+" applied before this apply's turn but its pull request was not merged, so this plan was out of date and it was not applied. Planning again; approve the new plan once "+s.ev.HeldBy+" is merged.", "")
			s.owe(Effect{Kind: EffOpenChange})
			return nil
		}
		if pushed {
			// Not the base alone: what the approval was given on was
			// tampered with, so it does not carry (carry.go).
			s.commit(OpeningPR, "branch pushed to while the apply waited for its turn; re-plan",
				"While this apply waited for its turn, someone pushed to "+s.r.Change.Branch+", so its plan was not applied. "+
					"Planning TfPilot's change again (what was pushed is replaced); approve the new plan.", "")
			s.owe(Effect{Kind: EffOpenChange})
			return nil
		}
		s.r.Carry = carry
		s.commit(OpeningPR, "change moved while the apply waited for its turn; re-plan on the new base",
			"The base moved while this apply waited for its turn (another change landed in "+s.r.Environment+"), so its plan was out of date and it was not applied. Planning again on the new base; "+carryHint(&s.r, s.p, carry, true), "")
		s.owe(Effect{Kind: EffOpenChange})
		return nil
	}
	s.problem = "The branch or its base moved after the plan. Press Re-plan, then approve the new plan."
	s.commit(Stale, "change moved after the plan", s.problem, "")
	return nil
}

// baseOnlyMoved reports whether now shows r's base branch moved since the
// plan while its own branch is still the planned commit.
func baseOnlyMoved(r *Request, now *Change) bool {
	if now == nil || r.Change == nil || now.BaseSHA == "" || now.BaseSHA == r.Change.BaseSHA {
		return false
	}
	return headUnchanged(r, now)
}

// headUnchanged reports whether now shows r's branch still at the commit
// its plan ran on (nobody pushed to it).
func headUnchanged(r *Request, now *Change) bool {
	if now == nil || r.Change == nil {
		return true
	}
	planned := r.Change.HeadSHA
	if r.PlanRun != nil && r.PlanRun.HeadSHA != "" {
		planned = r.PlanRun.HeadSHA
	}
	return now.HeadSHA == "" || now.HeadSHA == planned
}

// applyNotStarted reports whether r is applying only on paper: its apply
// dispatch ran out of retries, so no apply run exists and a Retry would
// dispatch one. The change may still move under it, as before an apply.
func applyNotStarted(r *Request) bool {
	return r.State == Applying && r.ApplyRun == nil && r.FailedEffect != nil && r.FailedEffect.Kind == EffDispatchApply
}

// changeClosed handles a pull request someone closed or merged outside
// TfPilot before its request was applied. Closed: there is nothing left to
// approve or apply, so the request is cancelled. Merged: its file is in the
// base branch but not live, so the request plans the base as it is (on its
// branch, re-made at the base head: ChangeSpec.AtBase) and is approved and
// applied like any request, holding its environment meanwhile.
func (s *stepper) changeClosed() error {
	if !s.in(AwaitingApproval, Approved, Stale, PlanFailed, ApplyFailed) && !applyNotStarted(&s.r) || s.r.Change == nil || s.r.Change.Merged {
		return s.refuse()
	}
	s.r.Change.Closed = true
	s.invalidatePlan()
	if s.ev.Change != nil && s.ev.Change.Merged {
		s.r.Change.Merged = true
		s.r.FailedEffect = nil
		s.commit(OpeningPR, "pull request merged outside TfPilot before apply; planning the base branch",
			"The pull request was merged outside TfPilot before it was applied: its change is in the base branch but not live. Planning the base branch as it is now; approve and apply it here as usual. "+s.r.Environment+" is held for it meanwhile.",
			"Pull request of "+s.r.Label+" was merged outside TfPilot before apply; TfPilot is planning it from the base branch.")
		s.owe(Effect{Kind: EffOpenChange})
		return nil
	}
	s.commit(Cancelled, "pull request closed outside TfPilot",
		"The pull request was closed outside TfPilot, so this request is cancelled. Start a new request to try again.", "")
	return nil
}
