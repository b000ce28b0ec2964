package flow

import (
	"strconv"
	"strings"
	"time"
)

// Kind says what a request changes: it adds a module block, or it deletes the
// file of an applied request (destroy).
type Kind int

// Request kinds.
const (
	KindCreate Kind = iota + 1
	KindDestroy
)

func (k Kind) String() string {
	switch k {
	case KindCreate:
		return "create"
	case KindDestroy:
		return "destroy"
	}
	return "unknown"
}

// Request is one ask for infrastructure, living in one chat thread. It is a
// plain value: Step returns a changed copy, stores persist it as JSON.
type Request struct {
	ID          string            `json:"id"` // UUID v7
	Kind        Kind              `json:"kind"`
	Target      string            `json:"target,omitempty"` // destroy: ID of the applied request being destroyed
	Project     string            `json:"project,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Module      string            `json:"module,omitempty"`
	Label       string            `json:"label,omitempty"`  // registry.Label(ID) for create; the target's label for destroy
	File        string            `json:"file,omitempty"`   // envs/<env>/tfpilot_<label>.tf
	Inputs      map[string]string `json:"inputs,omitempty"` // canonical values from registry.Module.Resolve
	Sensitive   []string          `json:"sensitive,omitempty"`
	Requester   Actor             `json:"requester"`
	Thread      Thread            `json:"thread"`
	State       State             `json:"state"`
	Version     int64             `json:"version"` // incremented on every persisted transition

	// Owed holds the effects this request still owes (the outbox): saved
	// before they run, removed when their result event is stepped.
	Owed []Effect `json:"owed,omitempty"`
	// Seq numbers effects and audit records of this request.
	Seq int64 `json:"seq"`

	Change    *Change      `json:"change,omitempty"`
	PlanRun   *Run         `json:"plan_run,omitempty"`
	ApplyRun  *Run         `json:"apply_run,omitempty"`
	Plan      *PlanSummary `json:"plan,omitempty"`
	Approvals []Approval   `json:"approvals,omitempty"`
	// Carry is, while TfPilot plans a request again by itself because its
	// base branch moved, the approved plan it replaces: the new plan keeps
	// those approvals when it changes the same (see carry.go).
	Carry *Carry `json:"carry,omitempty"`
	// Applier is who pressed Apply for the current plan, kept until the
	// plan is forgotten, so an apply TfPilot plans again by itself still
	// goes ahead only for someone who may apply (Carry.ApplyBy).
	Applier *Actor `json:"applier,omitempty"`
	// History is the latest HistoryLimit transitions, oldest first; the
	// audit log keeps every one (a record per transition, by Seq).
	History []Transition `json:"history,omitempty"`
	// Seen holds the idempotency keys of events already applied.
	Seen []string `json:"seen,omitempty"`
	// Problem is the user-facing text of the last failure (plan failed,
	// effect out of retries); cleared by the next successful step.
	Problem string `json:"problem,omitempty"`
	// FailedEffect is an effect that ran out of retries; the Retry action
	// owes it again.
	FailedEffect *Effect `json:"failed_effect,omitempty"`
	// MergeRefusal is, in AppliedNotMerged, why the pull request was not
	// merged (the repository's reason, or the error of the last attempt).
	MergeRefusal string `json:"merge_refusal,omitempty"`
	// Redispatches counts how often the current plan or apply attempt was
	// dispatched again after GitHub cancelled its run before it started
	// (RunCancelledPending); at most MaxRedispatches.
	Redispatches int `json:"redispatches,omitempty"`
	// Queue is, while a plan or apply waits for its turn in the
	// environment's run queue, its place there (the card shows it); nil
	// once it is dispatched or no longer owed.
	Queue *QueuePlace `json:"queue,omitempty"`

	// DestroyedBy is, on an applied create request, the ID of the destroy
	// request that claimed it (only one at a time; see Engine.Open).
	DestroyedBy string `json:"destroyed_by,omitempty"`
	// DestroyedAt is when the destroy request DestroyedBy applied (zero
	// until it has): what this request created is gone. The engine steps
	// EvDestroyed on this request when the destroy request's apply finishes.
	DestroyedAt time.Time `json:"destroyed_at,omitzero"`

	Lease     Lease     `json:"lease,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Rev is the store's revision of the record this value was read from
	// (an S3 ETag, a file version); stores use it for conditional writes.
	// It is not part of the request's content.
	Rev string `json:"-"`
}

// Actor is a person (or TfPilot itself) acting on a request.
type Actor struct {
	ID     string   `json:"id"`               // chat user ID, e.g. U123
	Name   string   `json:"name,omitempty"`   // display name, for messages only
	Groups []string `json:"groups,omitempty"` // user-group IDs, resolved by the chat surface
}

// System is the actor for events produced by TfPilot itself (effect results).
var System = Actor{ID: "tfpilot", Name: "TfPilot"}

// Thread locates a request's conversation: the channel and the root message
// (the status card). TS is empty until the card has been posted.
type Thread struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	URL     string `json:"url,omitempty"` // permalink, for PR bodies and notifications
}

// Change is the pull request (or local branch) that carries a request's file.
type Change struct {
	Branch  string `json:"branch"` // tfpilot/<request-id>
	Number  int    `json:"number,omitempty"`
	URL     string `json:"url,omitempty"`
	HeadSHA string `json:"head_sha,omitempty"` // commit the plan must be made from
	BaseSHA string `json:"base_sha,omitempty"` // base branch commit the change was built on
	Merged  bool   `json:"merged,omitempty"`
	Closed  bool   `json:"closed,omitempty"`
}

// RunStatus is where a workflow run is.
type RunStatus int

// Run statuses.
const (
	RunQueued RunStatus = iota + 1
	RunInProgress
	RunSucceeded
	RunFailed
	RunCancelled
	// RunCancelledPending is a run cancelled before it started because a
	// newer run took its pending place in the concurrency group: nobody
	// asked for it, so flow dispatches it again (see MaxRedispatches).
	RunCancelledPending
)

func (s RunStatus) String() string {
	switch s {
	case RunQueued:
		return "queued"
	case RunInProgress:
		return "in progress"
	case RunSucceeded:
		return "succeeded"
	case RunFailed:
		return "failed"
	case RunCancelled:
		return "cancelled"
	case RunCancelledPending:
		return "cancelled before it started"
	}
	return "unknown"
}

// Done reports whether the run has finished.
func (s RunStatus) Done() bool { return s >= RunSucceeded }

// Workflow names a workflow of the environment repository.
type Workflow string

// The two workflows TfPilot dispatches.
const (
	WorkflowPlan  Workflow = "plan"
	WorkflowApply Workflow = "apply"
)

// Run is one workflow run (a GitHub Actions run, or a local runner's run).
type Run struct {
	Workflow Workflow `json:"workflow"`
	ID       int64    `json:"id"`
	URL      string   `json:"url,omitempty"`
	HeadSHA  string   `json:"head_sha,omitempty"` // commit the run checked out
	// Attempt is the run's attempt as last seen (GitHub's run_attempt: 1,
	// higher after a re-run); 0 when the runner has no attempts.
	Attempt int `json:"attempt,omitempty"`
	// HeadAuthor is who made HeadSHA (Repo.CommitAuthor), looked up by the
	// engine only when HeadSHA is not the commit TfPilot built.
	HeadAuthor string    `json:"head_author,omitempty"`
	Status     RunStatus `json:"status,omitempty"`
	// Failure explains a failed run: failing job and step and the last log
	// lines, redacted of secrets.
	Failure string `json:"failure,omitempty"`
}

// PlanSummary is what people need to decide on a plan.
type PlanSummary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"` // a replace counts once, here, never as create+delete
	Delete  int `json:"delete"`
	Read    int `json:"read"`
	NoOp    int `json:"no_op"`
	Forget  int `json:"forget,omitempty"` // removed from state, not destroyed
	Import  int `json:"import,omitempty"` // existing objects taken into the state, nothing else changed
	// Unknown counts changes whose actions the summariser does not know (a
	// newer Terraform's): shown as such, never taken for no change.
	Unknown int `json:"unknown,omitempty"`
	// Resources lists every changing resource address with its action
	// (create, update, replace, delete, read, forget, import), in plan order.
	Resources []ResourceChange `json:"resources,omitempty"`
	Drift     []ResourceChange `json:"drift,omitempty"`
	// ModuleDigests holds, for each top-level module block the plan
	// changes something in ("module.tfpilot_ab12…"), a digest of every
	// change in it: actions, values before and after, what is unknown or
	// sensitive. Two plans with the same digest for a module make the same
	// changes in it, value for value; the counts and addresses above do
	// not say that. Empty for a preview.
	ModuleDigests map[string]string `json:"module_digests,omitempty"`
	Errored       bool              `json:"errored,omitempty"`
	// Preview marks a static preview computed from the module's resources by
	// the local runner: not a Terraform plan, and it must never be shown as one.
	Preview bool   `json:"preview,omitempty"`
	TextURL string `json:"text_url,omitempty"` // full plan.txt (link or file)
}

// Counts says what the plan changes in Terraform's words, in Terraform's
// order: "2 to create, 1 to replace, 1 to destroy"; "no changes" when
// nothing changes. Every surface (thread replies, cards, `bot summarize`)
// uses it, so a plan reads the same everywhere.
func (p PlanSummary) Counts() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" to "+what)
		}
	}
	add(p.Import, "import")
	add(p.Create, "create")
	add(p.Update, "update")
	add(p.Replace, "replace")
	add(p.Delete, "destroy")
	add(p.Forget, "forget")
	add(p.Read, "read")
	if p.Unknown > 0 {
		parts = append(parts, strconv.Itoa(p.Unknown)+" with an unknown action")
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

// ResourceChange is one address in a plan and what happens to it.
type ResourceChange struct {
	Address string `json:"address"`
	Action  string `json:"action"`
}

// Approval is one person's approval of one plan.
type Approval struct {
	Actor     Actor     `json:"actor"`
	PlanRunID int64     `json:"plan_run_id"`
	At        time.Time `json:"at"`
	// HeadSHA is the commit the approved plan was made from; an approval
	// counts only while the plan run and its commit are still current.
	HeadSHA string `json:"head_sha,omitempty"`
	// Accepts are the findings (Finding.ID) the approver acknowledged.
	Accepts []string `json:"accepts,omitempty"`
	// CarriedFrom is the plan run the approver approved when the approval
	// was carried over to PlanRunID (Carry); 0 when approved as is.
	CarriedFrom int64 `json:"carried_from,omitempty"`
}

// Transition is one line of a request's history.
type Transition struct {
	Seq   int64     `json:"seq"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Event EventKind `json:"event"`
	From  State     `json:"from"`
	To    State     `json:"to"`
	Note  string    `json:"note,omitempty"`
}

// Lease marks which engine replica may run a request's owed effects, until when.
type Lease struct {
	Owner string    `json:"owner,omitempty"`
	Until time.Time `json:"until,omitzero"`
}
