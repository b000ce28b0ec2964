package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/registry"
)

// An approval binds to one plan run at one commit (Approval). When TfPilot
// plans a request again by itself only because its base branch moved —
// another request merged (base_merged), a base-only move seen before an
// approve or apply (change_moved), an apply whose base moved while it
// waited for its turn — the approved plan is kept as a Carry, and the new
// plan keeps its approvals (and goes on to apply when Apply was pressed)
// only when it is provably the same change:
//
//   - the base moved only by files TfPilot writes for other requests
//     (registry.RequestFile), none of them this request's own: no module,
//     provider, backend, override or hand-written Terraform changed under it;
//     and they hold, before and after, only what registry.Render writes
//     (registry.CheckRequestFile), not a provider, terraform, import or any
//     other block merged by hand under such a name — in any environment,
//     since a symlink can put another environment's file in the root;
//   - the new plan makes the same changes in the request's module, value for
//     value (PlanSummary.ModuleDigests), and no change outside it (no
//     ScopeFindings, imports included) nor any read there: a data source
//     read at apply (a check block's, one waiting for an unknown value)
//     runs with the apply's credentials, and nobody saw it;
//   - the environment is not held.
//
// Otherwise the new plan waits for approval as any plan does, and the card
// says why the approvals did not carry over. A person's own re-plan, edit,
// reject or cancel drops the carry (invalidatePlan).

// Carry is an approved plan TfPilot is planning again by itself after its
// base branch moved (Request.Carry).
type Carry struct {
	PlanRunID int64  `json:"plan_run_id"` // the approved plan run
	BaseSHA   string `json:"base_sha"`    // the base it was made on
	// Digest is the approved plan's ModuleDigests entry for the request's
	// module.
	Digest    string     `json:"digest"`
	Approvals []Approval `json:"approvals,omitempty"`
	// ApplyBy is who pressed Apply (Request.Applier), when the apply was
	// asked for before the base moved under it: the new plan, carried, is
	// applied if they may still apply.
	ApplyBy *Actor `json:"apply_by,omitempty"`
}

// BaseMoves is what changed on a base branch between two of its commits
// (Event.BaseMoves).
type BaseMoves struct {
	Paths []string `json:"paths,omitempty"`
	// NotRendered are the request files of Paths that hold, at either
	// commit, something registry.Render does not write: "<path>: <why>"
	// (registry.CheckRequestFile).
	NotRendered []string `json:"not_rendered,omitempty"`
	// Unknown says why the changes could not be listed, or the files read.
	Unknown string `json:"unknown,omitempty"`
}

func cloneCarry(c *Carry) *Carry {
	if c == nil {
		return nil
	}
	out := *c
	if c.ApplyBy != nil {
		a := *c.ApplyBy
		a.Groups = slices.Clone(a.Groups)
		out.ApplyBy = &a
	}
	out.Approvals = slices.Clone(c.Approvals)
	for i := range out.Approvals {
		out.Approvals[i].Actor.Groups = slices.Clone(out.Approvals[i].Actor.Groups)
		out.Approvals[i].Accepts = slices.Clone(out.Approvals[i].Accepts)
	}
	return &out
}

// ownModule is the module block a request may change.
func ownModule(r *Request) string { return "module.tfpilot_" + r.Label }

// replanByItself forgets r's plan as invalidatePlan does, keeping the
// approved plan as r.Carry when there is one worth carrying: its
// approvals, or an Apply already pressed. Call it before r.Change takes the
// moved base.
func (s *stepper) replanByItself() {
	c := s.carryOver()
	s.invalidatePlan()
	s.r.Carry = c
}

// carryOver returns r's current plan as a Carry, or nil: a preview, an
// errored plan, a plan without a digest of the request's module, or one
// nobody approved or asked to apply carries nothing.
func (s *stepper) carryOver() *Carry {
	r := &s.r
	if r.Plan == nil || r.PlanRun == nil || r.Change == nil || r.Change.BaseSHA == "" || r.Label == "" || r.Plan.Preview || r.Plan.Errored {
		return nil
	}
	digest := r.Plan.ModuleDigests[ownModule(r)]
	if digest == "" {
		return nil
	}
	c := &Carry{PlanRunID: r.PlanRun.ID, BaseSHA: r.Change.BaseSHA, Digest: digest, Approvals: CurrentApprovals(r)}
	if s.from == Applying {
		c.ApplyBy = clonePtr(r.Applier)
		if c.ApplyBy == nil {
			// Saved before Applier was kept: the person's ID from the
			// history, without the groups that may have let them apply.
			if id := lastActor(r, Applying); id != "" {
				c.ApplyBy = &Actor{ID: id}
			}
		}
	}
	if len(c.Approvals) == 0 && c.ApplyBy == nil {
		return nil
	}
	return cloneCarry(c)
}

// lastActor is the person who made the latest transition into state to:
// an apply carried over is TfPilot's transition, made for whoever pressed
// Apply before it.
func lastActor(r *Request, to State) string {
	for i := len(r.History) - 1; i >= 0; i-- {
		if h := r.History[i]; h.To == to && h.From != to && h.Actor != System.ID {
			return h.Actor
		}
	}
	return ""
}

// carryRefusal says why r's new plan (r.Plan, r.PlanRun) may not keep the
// approvals of c, given what ev found (BaseMoves, HeldBy); "" when it may.
func carryRefusal(r *Request, c *Carry, ev Event) string {
	own := ownModule(r)
	switch {
	case ev.BaseMoves == nil:
		return "what changed on the base branch was not looked up"
	case ev.BaseMoves.Unknown != "":
		return "what changed on the base branch could not be listed (" + ev.BaseMoves.Unknown + ")"
	}
	var others []string
	for _, p := range ev.BaseMoves.Paths {
		env, label, ok := registry.RequestFile(p)
		if !ok || env == r.Environment && label == r.Label {
			others = append(others, p)
		}
	}
	switch {
	case len(others) > 0:
		return "the base branch changed more than other requests' files: " + listSome(others, 3)
	case len(ev.BaseMoves.NotRendered) > 0:
		path, why, _ := strings.Cut(ev.BaseMoves.NotRendered[0], ": ")
		more := ""
		if n := len(ev.BaseMoves.NotRendered) - 1; n > 0 {
			more = fmt.Sprintf(" (and %d more like it)", n)
		}
		return path + " is named like a request's file but is not one TfPilot writes: " + why + more
	case r.Plan == nil || r.Plan.Preview:
		return "the new plan is not a Terraform plan"
	case r.Plan.ModuleDigests[own] != c.Digest:
		return fmt.Sprintf("the new plan changes %s differently from plan run %d", own, c.PlanRunID)
	case len(ScopeFindings(r)) > 0:
		return "the new plan changes resources outside " + own
	case len(readsOutside(r.Plan, own)) > 0:
		// Not a change to review (ScopeFindings), but new since the
		// approval: a data source read at apply runs with its credentials.
		return "the new plan reads " + listSome(readsOutside(r.Plan, own), 3) + " outside " + own + " when it is applied"
	case ev.HeldBy != "":
		return r.Environment + " is held by " + ev.HeldBy + ", " + orDefault(ev.HeldFor, HeldUnmerged)
	}
	return ""
}

// readsOutside lists the data sources p reads at apply outside module own.
func readsOutside(p *PlanSummary, own string) []string {
	var out []string
	for _, rc := range p.Resources {
		if !inModule(rc.Address, own) {
			out = append(out, rc.Address)
		}
	}
	return out
}

// carryHint ends a card's note on a plan made again by itself: what the
// person is to do, given the carry kept (nil: none) and whether r's
// environment asks for approvals at all.
func carryHint(r *Request, p Policy, c *Carry, applying bool) string {
	switch {
	case c == nil && required(r, p) == 0:
		return r.Environment + " needs no approval, so the new plan is ready to apply once it is made."
	case c == nil:
		return "approve the new plan."
	case applying && c.ApplyBy != nil:
		return "if the new plan makes the same changes, it is applied without asking again."
	}
	return "if the new plan makes the same changes, the approval carries over."
}

// listSome lists up to n of items, saying how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// carried finishes a plan that keeps the approvals of c: they now approve
// the new plan run at its commit, and once they are enough the request is
// approved — or applying, when Apply was pressed before the base moved.
func (s *stepper) carried(c *Carry, what, counts string) error {
	run := s.r.PlanRun
	var who, gone []string
	for _, a := range c.Approvals {
		// The policy may have changed since (a restart): an approval
		// counts for the new plan only if its approver may approve now.
		if err := s.p.Authorize(ActApprove, &s.r, a.Actor); err != nil {
			gone = append(gone, displayName(a.Actor))
			continue
		}
		a.CarriedFrom = orZero(a.CarriedFrom, a.PlanRunID)
		a.PlanRunID, a.HeadSHA, a.Accepts = run.ID, run.HeadSHA, nil
		s.r.Approvals = append(s.r.Approvals, a)
		who = append(who, displayName(a.Actor))
	}
	have, need := len(s.currentApprovers()), s.required()
	why := fmt.Sprintf("only other requests' files moved the base, and the %s changes %s exactly as approved plan run %d did",
		strings.ToLower(what), ownModule(&s.r), c.PlanRunID)
	reply := fmt.Sprintf("Planned again on the new base (%s): %s", counts, why)
	note := fmt.Sprintf("%s %s on the new base; same changes in %s as approved plan run %d, base moved only by other requests",
		strings.ToLower(what), counts, ownModule(&s.r), c.PlanRunID)
	if len(who) > 0 {
		reply += ", so the approval of " + strings.Join(who, ", ") + " carries over"
		note += fmt.Sprintf("; approvals of %s carried (%d of %d)", strings.Join(who, ", "), have, need)
	}
	if len(gone) > 0 {
		names := strings.Join(gone, ", ")
		reply += fmt.Sprintf("; the approval of %s does not: %s may no longer approve in %s", names, names, s.r.Environment)
		note += "; approvals of " + names + " not carried: no longer approvers"
	}
	switch {
	case have < need:
		s.commit(AwaitingApproval, note, fmt.Sprintf("%s (%d of %d). Waiting for approval.", reply, have, need),
			what+" ready for approval ("+counts+"): "+s.summary())
	case c.ApplyBy != nil && s.p.Authorize(ActApply, &s.r, *c.ApplyBy) != nil:
		// The policy changed since Apply was pressed (a restart): the
		// person who pressed it may not apply here now.
		who := displayName(*c.ApplyBy)
		s.commit(Approved, note+"; "+who+" may no longer apply",
			fmt.Sprintf("%s. %s pressed Apply before the base moved but may no longer apply in %s, so it does not go ahead: someone who may, press Apply.", reply, who, s.r.Environment), "")
	case c.ApplyBy != nil:
		s.commit(Applying, fmt.Sprintf("%s; applying plan run %d as %s asked", note, run.ID, c.ApplyBy.ID), reply+"; the apply goes ahead.", "")
		s.r.Redispatches = 0
		s.r.Applier = clonePtr(c.ApplyBy)
		s.owe(Effect{Kind: EffDispatchApply, PlanRunID: run.ID})
	default:
		s.commit(Approved, note, reply+". Ready to apply.", "")
	}
	return nil
}

func orZero(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

// carryFacts looks up what Step needs to decide whether r's new plan keeps
// the approvals of r.Carry: what changed on the base branch since the
// approved plan's base and what the request files among it hold (a listing
// or a read that fails, even after retries, is Unknown: the approval then
// does not carry, which is safe), and what holds the environment.
func (e *Engine) carryFacts(ctx, work context.Context, r *Request, eff Effect, ev *Event) error {
	moves := &BaseMoves{}
	if r.Change == nil || r.Change.BaseSHA == "" {
		moves.Unknown = "the new plan's base is not known"
	} else if err := e.baseMoves(ctx, work, r, eff.Kind, moves); err != nil {
		if work.Err() != nil {
			return err
		}
		moves = &BaseMoves{Unknown: e.userText(r.ID, eff, err)}
	}
	ev.BaseMoves = moves
	var f Facts
	if err := e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
		f, err = e.holder(ctx, r)
		return err
	}); err != nil {
		return err
	}
	ev.HeldBy, ev.HeldFor = f.HeldBy, f.HeldFor
	return nil
}

// maxFilesRead is how many moved request files carryFacts reads (each at
// two commits) before it gives up: a carry over more is not worth the
// calls, and the approval does not carry.
const maxFilesRead = 50

// baseMoves lists what moved the base under r since its carried plan, and
// reads each request file among it (not r's own, which stops the carry
// anyway) at both commits: a file Render did not write changes what the
// apply does as much as a hand-written one, before (it is gone or
// rewritten) or after (it is new). Those of other environments are read
// too: a symlink in r's root (or a module call), merged by hand long
// before, can have Terraform load one with r's, and its path does not say
// so. A file read at neither commit is Unknown: the listing and the reads
// disagree.
func (e *Engine) baseMoves(ctx, work context.Context, r *Request, kind EffectKind, moves *BaseMoves) error {
	from, to := r.Carry.BaseSHA, r.Change.BaseSHA
	if err := e.try(ctx, work, kind, func(ctx context.Context) (err error) {
		moves.Paths, err = e.cfg.Repo.BaseMoves(ctx, r.Project, from, to)
		return err
	}); err != nil {
		return err
	}
	var files []string
	for _, p := range moves.Paths {
		if env, label, ok := registry.RequestFile(p); ok && (env != r.Environment || label != r.Label) {
			files = append(files, p)
		}
	}
	if len(files) > maxFilesRead {
		moves.Unknown = fmt.Sprintf("%d request files moved it, more than the %d TfPilot reads to check them", len(files), maxFilesRead)
		return nil
	}
	for _, p := range files {
		read := 0
		for _, sha := range []string{to, from} {
			var content []byte
			found := true
			if err := e.try(ctx, work, kind, func(ctx context.Context) (err error) {
				content, err = e.cfg.Repo.FileAt(ctx, r.Project, sha, p)
				if errors.Is(err, ErrNotFound) {
					found, err = false, nil
				}
				return err
			}); err != nil {
				return fmt.Errorf("read %s at %s: %w", p, ShortSHA(sha), err)
			}
			if !found {
				continue
			}
			read++
			if err := registry.CheckRequestFile(p, content); err != nil {
				moves.NotRendered = append(moves.NotRendered, p+": "+err.Error())
				read = -1
				break
			}
		}
		if read == 0 {
			// Listed as changed, so it is at one of them at least: the
			// listing and the reads disagree, and nothing was checked.
			moves.Unknown = p + " moved it but is at neither commit"
			return nil
		}
	}
	return nil
}
