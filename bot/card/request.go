package card

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/printable"
	"github.com/tfpilot/tfpilot/registry"
)

// Limits bound how much of a request a card carries. Surfaces enforce their
// own hard limits on top; these keep cards readable.
const (
	MaxInputLines   = 20   // inputs listed on a card
	MaxValueChars   = 200  // characters of one input value
	MaxPlanLines    = 10   // resource addresses listed under a plan
	MaxDriftLines   = 5    // drifted addresses listed
	MaxCodeChars    = 2800 // characters of a code block (fits a 3,000-char section with fences)
	MaxListLines    = 20   // requests in a list
	MaxFailureChars = 1500 // characters of a run failure
	MaxProblemChars = 500
	// PreviewPlanLabel heads a static preview's plan section: said once,
	// with how to get a real plan.
	PreviewPlanLabel = "Static preview — not a Terraform plan (run with --plan=terraform for a real plan)"
)

// Options is what a request card may use besides the request.
type Options struct {
	// Policy gives approvals required and, with Viewer, who may press what.
	Policy *flow.Policy
	// Outlook, when set, is flow's answer for this card (moves and
	// approvals); otherwise the card asks flow with Policy and Viewer.
	Outlook *flow.Outlook
	// Catalog is the project's catalogue; it names the module choice.
	Catalog *registry.Catalog
	// Viewer, when set, shows only the moves flow lets them make (a personal
	// surface: App Home, an ephemeral message). A shared channel card leaves
	// it nil and shows each move someone may make; flow refuses a click by
	// anyone else with its own text.
	Viewer *flow.Actor
	// Preview and Derived feed the confirm card (state Confirming).
	Preview *registry.File
	Derived []registry.DerivedName
}

// ForRequest builds the status card of r for its current state: choice
// while choosing, confirm card while confirming, status card otherwise.
func ForRequest(r *flow.Request, opts Options) Card {
	switch r.State {
	case flow.ChoosingModule:
		return ModuleChoice(r, Choice{Policy: opts.Policy, Catalog: opts.Catalog, Actor: &r.Requester, Viewer: opts.Viewer, Outlook: opts.Outlook})
	case flow.Confirming:
		var f registry.File
		if opts.Preview != nil {
			f = *opts.Preview
		}
		c := Confirm(r, f, opts.Derived)
		c.Groups = []Group{{Buttons: Buttons(r, outlook(r, opts))}}
		return c
	}
	return Status(r, opts)
}

// Title is a request's one-line name: "Create s3-bucket in prod".
func Title(r *flow.Request) string {
	what := "Create " + orDash(r.Module)
	if r.Module == "" {
		what = "New request"
	}
	if r.Kind == flow.KindDestroy {
		what = "Destroy " + orDash(TargetLabel(r))
		if r.Module != "" {
			what += " (" + r.Module + ")"
		}
	}
	if r.Environment != "" {
		what += " in " + r.Environment
	}
	return what
}

// ShortID is the request's own label (registry.Label of its ID), the
// 12-hex-digit handle people type. A destroy request's r.Label is its
// target's label (see [TargetLabel]), so ShortID never uses r.Label.
func ShortID(r *flow.Request) string {
	if l := registry.Label(r.ID); l != "" {
		return l
	}
	return r.Label
}

// TargetLabel is the label of the request a destroy request destroys, or
// "" for a create request.
func TargetLabel(r *flow.Request) string {
	if r.Kind != flow.KindDestroy {
		return ""
	}
	if r.Label != "" {
		return r.Label
	}
	return registry.Label(r.Target)
}

// DestroyedBy is the label of the destroy request that destroyed r (its
// apply finished), or "" while r is not destroyed.
func DestroyedBy(r *flow.Request) string {
	if r.DestroyedAt.IsZero() {
		return ""
	}
	return registry.Label(r.DestroyedBy)
}

// StateText says in words where a request is.
func StateText(r *flow.Request, pol *flow.Policy) string {
	switch r.State {
	case flow.ChoosingModule:
		return "Choose a module and an environment"
	case flow.CollectingInputs:
		return "Waiting for inputs"
	case flow.Confirming:
		return "Review and submit"
	case flow.OpeningPR:
		return "Opening the pull request"
	case flow.Planning:
		if r.Queue != nil {
			return "Queued: " + runsAhead(r.Queue.Ahead) + " ahead in " + r.Environment + foreignNote(r.Queue)
		}
		return "Planning"
	case flow.AwaitingApproval:
		a := flow.Approvals(r, policyOf(pol))
		return fmt.Sprintf("Awaiting approval (%d of %d)", len(a.Given), a.Need)
	case flow.Approved:
		if flow.NoApprovalNeeded(r) {
			return "Ready to apply (no approval needed in " + r.Environment + ")"
		}
		return "Approved: ready to apply"
	case flow.Applying:
		if r.Queue != nil {
			return "Apply queued: " + runsAhead(r.Queue.Ahead) + " ahead in " + r.Environment + foreignNote(r.Queue)
		}
		return "Applying"
	case flow.Applied:
		if by := DestroyedBy(r); by != "" {
			return "Destroyed by request " + by
		}
		return "Applied"
	case flow.AppliedNotMerged:
		return "Applied — not merged: " + Clip(oneLine(r.MergeRefusal), MaxProblemChars)
	case flow.PlanFailed:
		return "Plan failed"
	case flow.ApplyFailed:
		return "Apply failed"
	case flow.Stale:
		return "Stale: the branch or its base moved; re-plan before approving"
	case flow.Rejected:
		return "Rejected"
	case flow.Cancelled:
		return "Cancelled"
	}
	return r.State.String()
}

// Status builds the status card: what, where, who, inputs, links, plan,
// approvals, problem and the buttons that fit the state.
func Status(r *flow.Request, opts Options) Card {
	c := Card{
		Title:  Title(r),
		Status: StateText(r, opts.Policy),
		Fields: requestFields(r),
	}
	if s, ok := inputsSection(r); ok {
		c.Sections = append(c.Sections, s)
	}
	c.Links = requestLinks(r)
	if r.Plan != nil {
		c.Sections = append(c.Sections, PlanSections(r.Plan)...)
	}
	if s, ok := scopeSection(r); ok {
		c.Sections = append(c.Sections, s)
	}
	o := outlook(r, opts)
	if s, ok := approvalsSection(r, o); ok {
		c.Sections = append(c.Sections, s)
	}
	c.Notes = problemNotes(r)
	if r.Redispatches > 0 && (r.State == flow.Planning || r.State == flow.Applying) {
		c.Notes = append(c.Notes, fmt.Sprintf("GitHub cancelled the %s run before it started (another run took its place); TfPilot dispatched it again (%d of %d).",
			activeWorkflow(r), r.Redispatches, flow.MaxRedispatches))
	}
	if _, shown := approvalsSection(r, o); o.HeldBy != "" && !shown {
		// No Apply button while held, and no approvals section to say why
		// (an environment that needs no approval).
		c.Notes = append(c.Notes, fmt.Sprintf("%s is held by %s, %s: apply waits for %s", r.Environment, o.HeldBy, o.HeldFor, heldUntil(o)))
	}
	if bs := Buttons(r, o); len(bs) > 0 {
		c.Groups = []Group{{Buttons: bs}}
	}
	c.Fallback = fmt.Sprintf("%s (%s): %s", c.Title, ShortID(r), c.Status)
	return c
}

// StatusLine is a request's one-line status for a compact update (no label):
// its state in words and the newest thing worth knowing, such as
// "planning · plan run 1 succeeded · <url>" or "applied · pull request #3 merged".
func StatusLine(r *flow.Request, pol *flow.Policy) string {
	parts := []string{lowerFirst(StateText(r, pol))}
	switch r.State {
	case flow.Planning:
		if r.PlanRun != nil {
			parts = append(parts, runText(r.PlanRun))
		} else if r.Change != nil {
			parts = append(parts, changeText(r.Change))
		}
	case flow.Applying, flow.ApplyFailed:
		if r.ApplyRun != nil {
			parts = append(parts, runText(r.ApplyRun))
		}
	case flow.Applied:
		if DestroyedBy(r) != "" {
			break // the state text says it all
		}
		if r.Change != nil && r.Change.Merged {
			parts = append(parts, changeText(r.Change)+" merged")
		} else if r.ApplyRun != nil {
			parts = append(parts, runText(r.ApplyRun))
		}
	}
	if r.Problem != "" {
		parts = append(parts, Clip(oneLine(r.Problem), MaxProblemChars))
	}
	return strings.Join(parts, " · ")
}

// runText is "plan run 1 succeeded · <url>".
func runText(run *flow.Run) string {
	s := fmt.Sprintf("%s run %d %s", run.Workflow, run.ID, run.Status)
	if run.Workflow == "" {
		s = fmt.Sprintf("run %d %s", run.ID, run.Status)
	}
	if run.URL != "" {
		s += " · " + run.URL
	}
	return s
}

// changeText is "pull request #3" (or its URL when it has no number).
func changeText(c *flow.Change) string {
	if c.Number > 0 {
		return fmt.Sprintf("pull request #%d", c.Number)
	}
	if c.URL != "" {
		return "pull request " + c.URL
	}
	return "pull request"
}

func lowerFirst(s string) string {
	if s == "" || (len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z') {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func requestFields(r *flow.Request) []Field {
	fs := []Field{{"Request", ShortID(r)}}
	if t := TargetLabel(r); t != "" {
		if r.File != "" {
			t += " (" + r.File + ")"
		}
		fs = append(fs, Field{"Destroys", t})
	}
	if by := DestroyedBy(r); by != "" {
		fs = append(fs, Field{"Destroyed by", by})
	}
	fs = append(fs, Field{"Requested by", actorName(r.Requester)})
	if r.Project != "" {
		fs = append(fs, Field{"Project", r.Project})
	}
	if r.Environment != "" {
		fs = append(fs, Field{"Environment", r.Environment})
	}
	if r.Module != "" {
		fs = append(fs, Field{"Module", r.Module})
	}
	fs = append(fs, Field{"State", r.State.String()})
	return fs
}

// InputLines lists a request's inputs as "name = value", sorted, sensitive
// values redacted and long values clipped.
func InputLines(r *flow.Request) []string {
	keys := make([]string, 0, len(r.Inputs))
	for k := range r.Inputs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		v := r.Inputs[k]
		if slices.Contains(r.Sensitive, k) {
			v = flow.Redacted
		}
		out = append(out, k+" = "+Clip(oneLine(v), MaxValueChars))
	}
	return out
}

func inputsSection(r *flow.Request) (Section, bool) {
	lines := InputLines(r)
	if len(lines) == 0 {
		return Section{}, false
	}
	lines, more := Head(lines, MaxInputLines)
	return Section{Title: "Inputs", Lines: lines, More: more}, true
}

func requestLinks(r *flow.Request) []Link {
	var ls []Link
	if r.Change != nil && r.Change.URL != "" {
		t := "Pull request"
		if r.Change.Number > 0 {
			t = fmt.Sprintf("Pull request #%d", r.Change.Number)
		}
		ls = append(ls, Link{t, r.Change.URL})
	}
	if r.PlanRun != nil && r.PlanRun.URL != "" {
		ls = append(ls, Link{"Plan run (" + r.PlanRun.Status.String() + ")", r.PlanRun.URL})
	}
	if r.Plan != nil && r.Plan.TextURL != "" {
		ls = append(ls, Link{"Full plan", r.Plan.TextURL})
	}
	if r.ApplyRun != nil && r.ApplyRun.URL != "" {
		ls = append(ls, Link{"Apply run (" + r.ApplyRun.Status.String() + ")", r.ApplyRun.URL})
	}
	return ls
}

// PlanCounts is the one-line count of a plan as a card shows it:
// "2 to create, 1 to destroy", or "No changes".
func PlanCounts(p *flow.PlanSummary) string {
	c := p.Counts()
	return strings.ToUpper(c[:1]) + c[1:]
}

// PlanSections describes a plan: counts and top addresses, then drift. A
// static preview is labelled as such and never called a plan.
func PlanSections(p *flow.PlanSummary) []Section {
	title := "Plan"
	if p.Preview {
		title = PreviewPlanLabel
	}
	head := PlanCounts(p)
	if p.Errored {
		head = "Errored: " + head
	}
	lines := []string{head}
	addrs := make([]string, 0, len(p.Resources))
	for _, rc := range p.Resources {
		addrs = append(addrs, actionMark(rc.Action)+" "+address(rc.Address)+" ("+printable.Line(rc.Action)+")")
	}
	addrs, more := Head(addrs, MaxPlanLines)
	out := []Section{{Title: title, Lines: append(lines, addrs...), More: more}}
	if len(p.Drift) > 0 {
		dl := make([]string, 0, len(p.Drift))
		for _, rc := range p.Drift {
			dl = append(dl, "~ "+address(rc.Address)+" ("+printable.Line(rc.Action)+")")
		}
		dl, dm := Head(dl, MaxDriftLines)
		out = append(out, Section{Title: fmt.Sprintf("Drift: %d resource(s) changed outside Terraform", len(p.Drift)), Lines: dl, More: dm})
	}
	return out
}

// address is a resource address as a card shows it: control characters
// escaped (a plan is input from outside), clipped.
func address(a string) string { return Clip(printable.Line(a), 300) }

func actionMark(action string) string {
	switch action {
	case "create":
		return "+"
	case "delete":
		return "-"
	case "replace":
		return "-/+"
	case "update":
		return "~"
	case "read":
		return "<="
	}
	return "·"
}

// policyOf is the policy a card was given, or none (nobody may do
// anything a policy would have to allow).
func policyOf(pol *flow.Policy) flow.Policy {
	if pol == nil {
		return flow.Policy{}
	}
	return *pol
}

func approvalsSection(r *flow.Request, o flow.Outlook) (Section, bool) {
	count := o.Approvals
	as := count.Given
	if len(as) == 0 && r.State != flow.AwaitingApproval {
		return Section{}, false
	}
	lines := make([]string, 0, len(as)+1)
	for _, a := range as {
		line := "Approved by " + actorName(a.Actor) + " at " + a.At.UTC().Format("2006-01-02 15:04 UTC")
		if a.CarriedFrom != 0 {
			line += fmt.Sprintf(" (plan run %d; carried over: same changes after another request merged)", a.CarriedFrom)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{"No approvals yet"}
	}
	lines, more := Head(lines, 10)
	if r.State == flow.AwaitingApproval {
		lines = append(lines, waitingLine(r, count))
	}
	if o.HeldBy != "" {
		lines = append(lines, r.Environment+" is held by "+o.HeldBy+", "+o.HeldFor+": approve and apply wait for "+heldUntil(o))
	}
	return Section{Title: fmt.Sprintf("Approvals (%d of %d)", len(as), count.Need), Lines: lines, More: more}, true
}

// waitingLine says who may still approve, as flow's outlook names them, or
// that nobody can (a policy that needs fixing).
func waitingLine(r *flow.Request, count flow.ApprovalCount) string {
	names := make([]string, 0, len(count.Waiting)+1)
	for _, id := range count.Waiting[:min(10, len(count.Waiting))] {
		names = append(names, id)
	}
	if len(count.Waiting) > 10 {
		names = append(names, fmt.Sprintf("%d more", len(count.Waiting)-10))
	}
	switch {
	case count.AnyoneMay && count.RequesterMay:
		names = append(names, "anyone")
	case count.AnyoneMay:
		names = append(names, "anyone but "+actorName(r.Requester))
	}
	if len(names) == 0 {
		return "Nobody can approve this plan now: check the approvers of " + r.Environment + " in the policy"
	}
	return "Can approve: " + strings.Join(names, ", ")
}

func problemNotes(r *flow.Request) []string {
	var ns []string
	if r.Problem != "" {
		ns = append(ns, "Problem: "+Clip(r.Problem, MaxProblemChars))
	}
	for _, run := range []*flow.Run{r.PlanRun, r.ApplyRun} {
		if run != nil && run.Failure != "" {
			ns = append(ns, string(run.Workflow)+" run failed: "+Clip(run.Failure, MaxFailureChars))
		}
	}
	if r.FailedEffect != nil {
		ns = append(ns, "Step "+r.FailedEffect.Kind.String()+" ran out of retries; press Retry to try again.")
	}
	return ns
}

// actorName is how a card names a person: display name, else ID.
func actorName(a flow.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// foreignNote says, when the runs ahead are not TfPilot's, why the wait
// has no end TfPilot can see.
func foreignNote(q *flow.QueuePlace) string {
	if !q.Foreign {
		return ""
	}
	return " (not started by TfPilot: by hand or on a schedule; it goes when that ends)"
}

// runsAhead is "1 run" or "N runs".
func runsAhead(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}

// activeWorkflow is the run a planning or applying request waits for.
func activeWorkflow(r *flow.Request) flow.Workflow {
	if r.State == flow.Applying {
		return flow.WorkflowApply
	}
	return flow.WorkflowPlan
}

// heldUntil is what a held environment waits for.
func heldUntil(o flow.Outlook) string {
	if o.HeldFor == flow.HeldUnapplied {
		return "its apply"
	}
	return "its merge"
}
