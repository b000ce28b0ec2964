package flow

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/registry"
)

// planIO are the effects that belong to one plan attempt; they are dropped
// when the plan they serve is thrown away.
var planIO = []EffectKind{EffDispatchPlan, EffWatchRun, EffDispatchApply}

func (s *stepper) start() error {
	if s.from != 0 {
		return s.refuse()
	}
	r := &s.r
	if r.Kind == 0 {
		r.Kind = KindCreate
	}
	if r.Kind != KindCreate {
		return fmt.Errorf("step start: a %s request must be opened with start_destroy: %w", r.Kind, ErrBadEvent)
	}
	if r.Requester.ID == "" {
		r.Requester = s.ev.Actor
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.ev.At
	}
	if r.Label == "" {
		r.Label = registry.Label(r.ID)
	}
	if s.ev.Thread != nil {
		r.Thread = *s.ev.Thread
	}
	to := ChoosingModule
	if s.ev.Module != "" && s.ev.Environment != "" {
		if err := s.choose(); err != nil {
			return err
		}
		to = CollectingInputs
	} else {
		r.Project = s.defaultProject(s.ev.Project)
		if err := s.authorize(ActRequest); err != nil {
			return err
		}
	}
	s.commit(to, "request started", "", "")
	s.openForm()
	return nil
}

func (s *stepper) startDestroy() error {
	if s.from != 0 {
		return s.refuse()
	}
	r := &s.r
	r.Kind = KindDestroy
	if r.Requester.ID == "" {
		r.Requester = s.ev.Actor
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.ev.At
	}
	if s.ev.Target == "" || s.ev.File == "" || s.ev.Environment == "" {
		return fmt.Errorf("step start_destroy: target, file and environment are required: %w", ErrBadEvent)
	}
	r.Target, r.Project, r.Module, r.Environment = s.ev.Target, s.ev.Project, s.ev.Module, s.ev.Environment
	r.Label, r.File = s.ev.Label, s.ev.File
	r.Inputs, r.Sensitive = maps.Clone(s.ev.Inputs), slices.Clone(s.ev.Sensitive)
	if s.ev.Thread != nil {
		r.Thread = *s.ev.Thread
	}
	if err := s.authorize(ActDestroy); err != nil {
		return err
	}
	s.commit(OpeningPR, "destroy of "+r.Label+" requested", "Opening a pull request that deletes "+r.File+".", "")
	s.owe(Effect{Kind: EffOpenChange})
	return nil
}

// choose sets project, module and environment from the event after checking
// them against the policy.
func (s *stepper) choose() error {
	ev := s.ev
	project := s.defaultProject(ev.Project)
	if _, ok := s.p.Project(project); !ok {
		return Userf(ErrBadEvent, unknownProject(s.p, project))
	}
	if _, ok := s.p.Environment(ev.Environment); !ok {
		return Userf(ErrBadEvent, fmt.Sprintf("environment %q is not configured; choose one of %s", ev.Environment, strings.Join(s.p.environmentNames(), ", ")))
	}
	if ev.Module == "" {
		return Userf(ErrBadEvent, "choose a module")
	}
	r := &s.r
	if r.Module != ev.Module || r.Project != project {
		r.Inputs = nil
	}
	r.Project, r.Module, r.Environment = project, ev.Module, ev.Environment
	r.Sensitive = slices.Clone(ev.Sensitive)
	return s.authorize(ActRequest)
}

func (s *stepper) defaultProject(name string) string {
	if name == "" && len(s.p.Projects) == 1 {
		return s.p.Projects[0].Name
	}
	return name
}

// unknownProject explains that the policy has no project name (or that
// none was given) and lists the projects it has.
func unknownProject(p Policy, name string) string {
	names := strings.Join(projectNames(p), ", ")
	if name == "" {
		return "say which project: one of " + names
	}
	return fmt.Sprintf("project %q is not configured; choose one of %s", name, names)
}

func projectNames(p Policy) []string {
	out := make([]string, 0, len(p.Projects))
	for _, pr := range p.Projects {
		out = append(out, pr.Name)
	}
	return out
}

// openForm owes the input form when the chat gave a trigger for it.
func (s *stepper) openForm() {
	if s.ev.TriggerID != "" {
		s.owe(Effect{Kind: EffOpenModal, TriggerID: s.ev.TriggerID})
	}
}

// MayChoose reports whether actor may choose (or choose again) the
// project, module and environment of r now: nil, or the refusal Step gives
// a choose_module event. Surfaces ask it before showing the next step of a
// choice, which is not an event of its own.
func MayChoose(r *Request, actor Actor) error {
	s := &stepper{r: *r, ev: Event{Kind: EvChooseModule, Actor: actor}, from: r.State}
	return s.mayChoose()
}

func (s *stepper) mayChoose() error {
	if !s.in(ChoosingModule, CollectingInputs, Confirming) || s.r.Kind != KindCreate {
		return s.refuse()
	}
	return s.requesterOnly()
}

func (s *stepper) chooseModule() error {
	if err := s.mayChoose(); err != nil {
		return err
	}
	if err := s.choose(); err != nil {
		return err
	}
	s.commit(CollectingInputs, "module "+s.r.Module+" in "+s.r.Environment, "", "")
	s.openForm()
	return nil
}

func (s *stepper) setInputs() error {
	if !s.in(CollectingInputs, Confirming) || s.r.Kind != KindCreate {
		return s.refuse()
	}
	if err := s.requesterOnly(); err != nil {
		return err
	}
	if err := s.authorize(ActRequest); err != nil {
		return err
	}
	if s.r.Inputs == nil && len(s.ev.Inputs) > 0 {
		s.r.Inputs = make(map[string]string, len(s.ev.Inputs))
	}
	maps.Copy(s.r.Inputs, s.ev.Inputs)
	if s.ev.Sensitive != nil {
		s.r.Sensitive = slices.Clone(s.ev.Sensitive)
	}
	to := Confirming
	note := "inputs complete"
	if len(s.ev.Missing) > 0 {
		to, note = CollectingInputs, fmt.Sprintf("still missing %v", s.ev.Missing)
	}
	s.commit(to, note, "", "")
	return nil
}

func (s *stepper) edit() error {
	if !s.in(append([]State{CollectingInputs, Confirming}, postPlan...)...) || s.r.Kind != KindCreate {
		return s.refuse()
	}
	if err := s.requesterOnly(); err != nil {
		return err
	}
	if err := s.authorize(ActRequest); err != nil {
		return err
	}
	reply := ""
	if s.r.PlanRun != nil || s.r.Plan != nil || len(s.r.Approvals) > 0 {
		reply = "Inputs are being edited: the plan and its approvals no longer count."
	}
	s.invalidatePlan()
	s.commit(CollectingInputs, "editing inputs", reply, "")
	s.openForm()
	return nil
}

// invalidatePlan forgets the plan, its approvals and the work serving them.
func (s *stepper) invalidatePlan() {
	s.r.PlanRun, s.r.Plan, s.r.ApplyRun, s.r.Approvals, s.r.Carry, s.r.Applier = nil, nil, nil, nil, nil, nil
	s.dropOwed(planIO...)
}

func (s *stepper) confirm() error {
	if !s.in(Confirming) {
		return s.refuse()
	}
	if err := s.requesterOnly(); err != nil {
		return err
	}
	if err := s.authorize(ActRequest); err != nil {
		return err
	}
	s.commit(OpeningPR, "confirmed", "Opening the pull request.", "")
	s.owe(Effect{Kind: EffOpenChange})
	return nil
}

func (s *stepper) approve() error {
	if s.from == Approved {
		if err := s.authorize(ActApprove); err != nil {
			return err
		}
		if err := s.samePlan(); err != nil {
			return err
		}
		if s.approvedBy(s.ev.Actor.ID) {
			return Userf(ErrDuplicate, "you already approved this plan")
		}
		return Userf(ErrDuplicate, "this plan already has the approvals it needs")
	}
	if !s.in(AwaitingApproval) || s.r.PlanRun == nil {
		return s.refuse()
	}
	if err := s.authorize(ActApprove); err != nil {
		return err
	}
	if err := s.samePlan(); err != nil {
		return err
	}
	if s.approvedBy(s.ev.Actor.ID) {
		return Userf(ErrDuplicate, "you already approved this plan")
	}
	if err := s.held(); err != nil {
		return err
	}
	if err := s.scopeRefusal(); err != nil {
		return err
	}
	s.r.Approvals = append(s.r.Approvals, Approval{
		Actor: s.ev.Actor, PlanRunID: s.r.PlanRun.ID, HeadSHA: s.r.PlanRun.HeadSHA, At: s.ev.At,
		Accepts: acknowledged(&s.r, s.ev.Accepts),
	})
	have, need := len(s.currentApprovers()), s.required()
	who := displayName(s.ev.Actor)
	if have >= need {
		s.commit(Approved, fmt.Sprintf("approved by %s (%d of %d)", who, have, need),
			"Approved by "+who+". Ready to apply.", fmt.Sprintf("%s approved: %s", who, s.summary()))
		return nil
	}
	s.commit(AwaitingApproval, fmt.Sprintf("approved by %s (%d of %d)", who, have, need),
		fmt.Sprintf("Approved by %s (%d of %d).", who, have, need), "")
	return nil
}

// currentApprovers returns the distinct approvers of the current plan run at
// the commit it planned.
func (s *stepper) currentApprovers() []string {
	return CurrentApprovers(&s.r)
}

// NoApprovalNeeded reports whether r is approved without anyone having
// approved it: its environment asked for no approval when the plan
// finished, so it is ready to apply and must not read as "approved".
func NoApprovalNeeded(r *Request) bool {
	return r.State == Approved && len(CurrentApprovers(r)) == 0
}

func (s *stepper) approvedBy(id string) bool { return slices.Contains(s.currentApprovers(), id) }

// required is how many approvals the environment asks for.
func (s *stepper) required() int { return required(&s.r, s.p) }

// held refuses an approval or apply while another request in the same
// environment is applied but not merged (Event.HeldBy): what it applied is
// live but not in the base branch, so no other plan there is right until it
// merges.
func (s *stepper) held() error {
	if s.ev.HeldBy == "" {
		return nil
	}
	if s.ev.HeldFor == HeldUnapplied {
		return Userf(ErrHeld, fmt.Sprintf("%s is held by %s, %s: approve or apply here once it is applied (its card)",
			s.r.Environment, s.ev.HeldBy, HeldUnapplied))
	}
	return Userf(ErrHeld, fmt.Sprintf("%s is held by %s, %s: approve or apply here once it is merged (Retry merge on its card)",
		s.r.Environment, s.ev.HeldBy, HeldUnmerged))
}

// samePlan refuses an approve, reject or apply sent from a card drawn for
// another plan than the current one (Event.PlanRunID set, and another run
// or commit than r.PlanRun): the person saw that plan, not this one. A
// typed command (no plan on the event) acts on the current plan.
func (s *stepper) samePlan() error {
	run := s.r.PlanRun
	if s.ev.PlanRunID == 0 || run != nil && run.ID == s.ev.PlanRunID && run.HeadSHA == s.ev.PlanSHA {
		return nil
	}
	if run == nil {
		return Userf(ErrPlanChanged, "the plan changed since this card: there is no plan now; the updated card shows where the request is")
	}
	for _, a := range CurrentApprovals(&s.r) {
		if s.ev.Kind == EvApprove && a.Actor.ID == s.ev.Actor.ID && a.CarriedFrom != 0 {
			return Userf(ErrPlanChanged, fmt.Sprintf("the plan changed since this card: your approval of plan run %d carried over to the new plan (run %d), "+
				"which makes the same changes; the updated card shows it", a.CarriedFrom, run.ID))
		}
	}
	return Userf(ErrPlanChanged, fmt.Sprintf("the plan changed since this card: %s the new plan (run %d) on the updated card", s.ev.Kind, run.ID))
}

func (s *stepper) reject() error {
	if !s.in(AwaitingApproval, Approved) {
		return s.refuse()
	}
	if err := s.authorize(ActReject); err != nil {
		return err
	}
	if err := s.samePlan(); err != nil {
		return err
	}
	who := displayName(s.ev.Actor)
	s.invalidatePlan()
	s.commit(Rejected, "rejected by "+who, "Rejected by "+who+". The pull request will be closed.", "")
	s.closeChange()
	return nil
}

func (s *stepper) apply() error {
	if !s.in(Approved) {
		return s.refuse()
	}
	if err := s.authorize(ActApply); err != nil {
		return err
	}
	if err := s.samePlan(); err != nil {
		return err
	}
	if s.r.PlanRun == nil || len(s.currentApprovers()) < s.required() {
		return Userf(ErrBadEvent, "the approvals are for an older plan; approve the current plan first")
	}
	if err := s.held(); err != nil {
		return err
	}
	if err := s.scopeRefusal(); err != nil {
		return err
	}
	s.commit(Applying, fmt.Sprintf("applying plan run %d", s.r.PlanRun.ID), "Applying the approved plan.", "")
	s.r.Redispatches = 0
	applier := s.ev.Actor
	s.r.Applier = &applier
	s.owe(Effect{Kind: EffDispatchApply, PlanRunID: s.r.PlanRun.ID})
	return nil
}

func (s *stepper) replan() error {
	if !s.in(postPlan...) || s.r.Change == nil {
		return s.refuse()
	}
	if err := s.authorize(ActRequest, ActApprove); err != nil {
		return err
	}
	s.invalidatePlan()
	if s.from == Stale {
		// The branch or its base moved: plan the combination that would
		// merge now. open_change rebuilds TfPilot's one commit on the
		// current base (replacing whatever was pushed to the branch), and
		// its result owes the plan.
		s.commit(OpeningPR, "re-plan on the current base", "Rebuilding the branch on the current base, then planning again.", "")
		s.owe(Effect{Kind: EffOpenChange})
		return nil
	}
	s.commit(Planning, "re-plan", "Planning again.", "")
	s.r.Redispatches = 0
	s.owe(Effect{Kind: EffDispatchPlan})
	return nil
}

func (s *stepper) cancel() error {
	if !s.in(cancellable...) {
		return s.refuse()
	}
	if err := s.authorize(ActCancel); err != nil {
		return err
	}
	// An owed open_change stays owed: if it lands after the cancel, its
	// result owes the close (see changeOpened), so no pull request leaks.
	s.invalidatePlan()
	who := displayName(s.ev.Actor)
	s.commit(Cancelled, "cancelled by "+who, "Cancelled by "+who+".", "")
	s.closeChange()
	return nil
}

// closeChange owes closing the change when there is one.
func (s *stepper) closeChange() {
	if s.r.Change != nil && !s.r.Change.Merged && !s.r.Change.Closed {
		s.owe(Effect{Kind: EffCloseChange})
	}
}

func (s *stepper) retry() error {
	if s.from == Stale && s.r.FailedEffect == nil {
		// The change moved under a failed apply dispatch (see changeMoved):
		// what was approved is no longer what would be applied.
		return Userf(ErrBadEvent, "the branch or its base moved after the plan; press Re-plan, then approve and apply the new plan")
	}
	if s.from == 0 || s.r.FailedEffect == nil {
		return Userf(ErrBadEvent, "there is nothing to retry")
	}
	if err := s.authorize(retryActions(*s.r.FailedEffect, s.from)...); err != nil {
		return err
	}
	failed := *s.r.FailedEffect
	s.r.FailedEffect = nil
	s.r.Problem = ""
	if failed.Kind == EffDispatchApply {
		// The person retrying asks for the apply now (Request.Applier),
		// under the key of the dispatch that failed (Effect.DispatchKey).
		applier := s.ev.Actor
		s.r.Applier = &applier
		failed.DispatchKey = orDefault(failed.DispatchKey, failed.ID)
	}
	s.commit(s.from, "retry "+failed.Kind.String(), "Trying again.", "")
	failed.Attempts, failed.LastErr = 0, ""
	s.owe(failed)
	return nil
}

// retryActions are the actions of whoever may retry eff in state st: those
// who may do the step that owed it. Work that finishes an apply (its
// dispatch, watching its run, recording a destroy) is the appliers'; closing
// a change is whoever may cancel or reject; the rest prepares a plan, which
// is re-plan's rule (a requester or an approver of the environment).
func retryActions(eff Effect, st State) []Action {
	switch {
	case eff.Kind == EffDispatchApply, eff.Kind == EffMarkDestroyed, eff.Kind == EffMergeChange,
		eff.Kind == EffWatchRun && (eff.Workflow == WorkflowApply || st == Applying):
		return []Action{ActApply}
	case eff.Kind == EffCloseChange:
		return []Action{ActCancel, ActReject}
	}
	return []Action{ActRequest, ActApprove}
}

// retryMerge owes the merge again once what refused it is fixed. The merge
// finishes an apply, so only those who may apply may retry it.
func (s *stepper) retryMerge() error {
	if !s.in(AppliedNotMerged) {
		return s.refuse()
	}
	if err := s.authorize(ActApply); err != nil {
		return err
	}
	s.r.MergeRefusal = ""
	s.commit(Applied, "retry merge", "Merging the pull request again.", "")
	s.owe(Effect{Kind: EffMergeChange})
	return nil
}

// in reports whether the request is in one of states.
func (s *stepper) in(states ...State) bool { return slices.Contains(states, s.from) }

// requesterOnly refuses changes to the inputs by anyone but the requester.
func (s *stepper) requesterOnly() error {
	if s.ev.Actor.ID != s.r.Requester.ID {
		return Userf(ErrDenied, "only the requester can change this request")
	}
	return nil
}

// authorize passes when the actor may do any of actions; otherwise it returns
// the refusal of the first.
func (s *stepper) authorize(actions ...Action) error {
	if s.r.Environment == "" && s.ev.Actor.ID == s.r.Requester.ID {
		return nil // nothing chosen yet: the requester may go on or cancel
	}
	var first error
	for _, a := range actions {
		err := s.p.Authorize(a, &s.r, s.ev.Actor)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func displayName(a Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return "<@" + a.ID + ">"
}

// summary is a one-line description of the request for notifications.
func (s *stepper) summary() string {
	r := &s.r
	what := r.Module
	if r.Kind == KindDestroy {
		what = "destroy " + r.Label
	}
	out := fmt.Sprintf("%s in %s/%s", what, r.Project, r.Environment)
	if r.Thread.URL != "" {
		out += " " + r.Thread.URL
	}
	return out
}
