package flow

import (
	"context"

	"github.com/tfpilot/tfpilot/registry"
)

// Store persists requests. Implementations: infra/local (files) and infra/s3.
// Every write is conditional on Request.Rev, so two engines (replicas) can
// never both advance the same request: the loser gets ErrConflict.
type Store interface {
	// Create stores a new request; ErrExists if the ID is taken. Sets r.Rev.
	Create(ctx context.Context, r *Request) error
	// Get loads a request; ErrNotFound if there is none. Sets Rev.
	Get(ctx context.Context, id string) (*Request, error)
	// Update replaces the stored request if its revision is still r.Rev
	// (else ErrConflict) and sets r.Rev to the new revision.
	Update(ctx context.Context, r *Request) error
	// List returns the requests matching f, oldest first.
	List(ctx context.Context, f Filter) ([]*Request, error)
	// Queue loads the run queue of a project's environment: an empty
	// Queue with Rev "" when none was saved yet.
	Queue(ctx context.Context, project, environment string) (*Queue, error)
	// SaveQueue stores q if the stored revision is still q.Rev ("": none
	// stored yet), else ErrConflict, and sets q.Rev to the new revision.
	SaveQueue(ctx context.Context, q *Queue) error
}

// Filter selects requests for List. Zero fields match everything.
type Filter struct {
	Requester   string
	Environment string
	Project     string
	States      []State
	Thread      *Thread // channel + ts of the status card
	// Owing selects requests that still owe effects (start-up resume).
	Owing bool
}

// Match reports whether r passes the filter; stores that cannot filter on
// the server use it.
func (f Filter) Match(r *Request) bool {
	if f.Requester != "" && r.Requester.ID != f.Requester {
		return false
	}
	if f.Environment != "" && r.Environment != f.Environment {
		return false
	}
	if f.Project != "" && r.Project != f.Project {
		return false
	}
	if f.Thread != nil && (r.Thread.Channel != f.Thread.Channel || r.Thread.TS != f.Thread.TS) {
		return false
	}
	if f.Owing && len(r.Owed) == 0 {
		return false
	}
	if len(f.States) > 0 {
		found := false
		for _, s := range f.States {
			if r.State == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Audit appends records to the audit trail. Records are immutable; writing
// the same (RequestID, Seq) twice must leave one record.
type Audit interface {
	Record(ctx context.Context, rec AuditRecord) error
}

// FileChange is one file of a change: written with Content, or deleted.
type FileChange struct {
	Path    string `json:"path"`
	Content []byte `json:"content,omitempty"`
	Delete  bool   `json:"delete,omitempty"`
}

// ChangeSpec is everything needed to open (or find again) a request's change.
type ChangeSpec struct {
	Project   string
	RequestID string
	Branch    string // tfpilot/<request-id>
	Title     string
	Body      string // PR description: summary with sensitive inputs redacted
	Files     []FileChange
	// AtBase asks for the branch without a commit of its own, pointing at
	// the base branch's head: the request's pull request was merged outside
	// TfPilot before it was applied, so its file is in the base branch and
	// what is planned and applied is the base as it is (on the request's
	// branch, the only one the plan and apply environments accept). No
	// pull request is opened; the change keeps the merged one's number.
	AtBase bool
}

// Repo opens and finishes changes in a project's environment repository.
// Every method is idempotent: it finds what already exists before creating.
type Repo interface {
	// OpenChange makes branch + one commit + PR, or returns the existing ones.
	// When the branch exists but its files differ from spec.Files (inputs
	// edited after a plan), or its head is not one commit on the current
	// base head (the base moved, someone pushed), it builds the one commit
	// again on the current base, force-updates the branch (TfPilot owns
	// tfpilot/*) and returns the change with the new HeadSHA and BaseSHA.
	OpenChange(ctx context.Context, spec ChangeSpec) (Change, error)
	// ChangeStatus reports the branch head and base SHAs now, so the engine
	// can tell whether the change moved after the plan. A pull request
	// closed or merged (by anyone) is reported with Closed and Merged set,
	// and its SHAs as given (its branch may be gone).
	ChangeStatus(ctx context.Context, project string, c Change) (Change, error)
	// CommitAuthor names who made commit sha: the forge login of its
	// author, else the git author name. A card names them when a plan ran
	// on a commit TfPilot did not build.
	CommitAuthor(ctx context.Context, project, sha string) (string, error)
	// MergeChange squash-merges the PR and deletes the branch. If the base
	// moved since c.BaseSHA so that the plan no longer holds (a commit
	// touched the change's own folder or modules/; other requests' files,
	// each its own module block applied by its own request, do not count),
	// it returns ErrStale
	// (after updating the branch) instead of merging; a base that moved
	// elsewhere is merged across. A merge the
	// repository refuses (branch protection, a required review or check, a
	// closed pull request) is a *MergeRefusedError with its reason.
	MergeChange(ctx context.Context, project string, c Change) (Change, error)
	// CloseChange closes the PR and deletes the branch.
	CloseChange(ctx context.Context, project string, c Change) error
	// RecordOnChange writes body as TfPilot's one comment on the change's
	// pull request: created the first time, updated in place afterwards
	// (found by RecordMarker, body's first line, on a comment TfPilot
	// wrote), so the pull request tells reviewers what the thread does.
	// Writing the same body twice leaves one comment.
	RecordOnChange(ctx context.Context, project string, c Change, body string) error
	// ClosedChanges lists the pull requests of TfPilot's branches
	// (tfpilot/*) in the project's repository most recently closed or
	// merged, by anyone, newest first (one conditional list call: free
	// while nothing changed), each with Branch, Number, Closed and Merged.
	// The engine polls it to notice a pull request closed or merged by
	// hand before its request was applied.
	ClosedChanges(ctx context.Context, project string) ([]Change, error)
	// BaseMoves lists the paths of the files that differ between from and
	// to, two commits of the project's base branch, to the newer (a
	// renamed file gives both its names). The engine asks when a plan made
	// again by itself after the base moved may keep the approvals of the
	// plan before (Carry). A comparison the forge cannot list in full is
	// an error, never a partial list.
	BaseMoves(ctx context.Context, project, from, to string) ([]string, error)
	// FileAt returns the content of the file at path (slash-separated,
	// relative to the repository root) in commit sha of the project's
	// repository: an error wrapping ErrNotFound when that commit has no
	// such file, another error for a path that is a folder or a file over
	// MaxFileAt. The engine reads what the request files that moved the
	// base hold before it carries an approval over them.
	FileAt(ctx context.Context, project, sha, path string) ([]byte, error)
}

// MaxFileAt is the largest file Repo.FileAt reads (1 MiB, what GitHub's
// contents API returns): a request file is a few hundred bytes.
const MaxFileAt = 1 << 20

// Dispatch asks for one workflow run.
type Dispatch struct {
	Project     string
	Workflow    Workflow
	RequestID   string
	Environment string
	Ref         string // branch to run on
	PlanRunID   int64  // apply: the approved plan run
	// PlanRunAttempt is the attempt of PlanRunID that was approved (its
	// Run.Attempt; 0 when not recorded). apply.yml refuses a plan run that
	// was re-run since.
	PlanRunAttempt int
	// Key is the dispatch's idempotency key (the ID of the effect that asks
	// for it, e.g. "7-dispatch_plan"). Adapters find an existing run by
	// (RequestID, Workflow, Key) — e.g. with Key in the run-name — and
	// return it instead of dispatching again; a new Key (a re-plan, a new
	// apply after a failed one) must start a new run.
	Key string
}

// Runs dispatches and follows plan/apply workflow runs.
type Runs interface {
	// Dispatch starts a run, or returns the run already started for the same
	// request, workflow and Key (found by run ID or run-name) — never a
	// second one for the same Key.
	Dispatch(ctx context.Context, d Dispatch) (Run, error)
	// Status reports the run's status as last seen. The engine asks every
	// Config.PollInterval (under a second) for every run it follows, so it
	// must be cheap: an adapter answers from what it already knows and
	// itself decides, within its own budget, when to ask the service again
	// (one call for all runs of a repository). A run the service does not
	// show yet comes back unchanged.
	Status(ctx context.Context, project string, run Run) (Run, error)
	// PlanResult downloads and summarises a finished plan run's plan.
	PlanResult(ctx context.Context, project string, run Run) (PlanSummary, error)
	// Started returns the run an earlier Dispatch of d started (same
	// request, workflow and Key), and whether there is one, without
	// dispatching. The engine asks before it gives up an apply whose turn
	// found the change moved: a dispatch whose answer was lost (a crash,
	// a store error) already applied.
	Started(ctx context.Context, d Dispatch) (Run, bool, error)
	// Busy counts the runs that occupy environment's concurrency group
	// now (queued, pending, waiting or in progress), whoever started them
	// and whatever their workflow: TfPilot's own queue dispatches a run
	// only when none does. It reads the runs afresh: a count from a list
	// older than the last run's end would hold the queue for nothing.
	Busy(ctx context.Context, project, environment string) (int, error)
}

// Chat shows requests to people. Implementations: Slack (bot) and the
// terminal console of local mode. Every call carries what it shows, so an
// implementation needs no engine (see View).
type Chat interface {
	// ShowCard posts the status card of v.Request when its Thread.TS is
	// empty and returns the new thread; otherwise it updates the card in
	// place.
	ShowCard(ctx context.Context, v View) (Thread, error)
	// Reply posts a short message in the request's thread.
	Reply(ctx context.Context, r *Request, text string) error
	// Notify posts to the notifications channel, linking to the thread.
	// channel is the policy's for the request's environment (see
	// Policy.NotifyChannelFor); "" leaves it to the surface's default.
	Notify(ctx context.Context, r *Request, channel, text string) error
	// OpenInputs opens the input form of module m for the request.
	OpenInputs(ctx context.Context, r *Request, m *registry.Module, triggerID string) error
}

// Catalogs gives the module catalogue of a project (from its environment
// repository's modules/ at the base branch).
type Catalogs interface {
	Catalog(ctx context.Context, project string) (*registry.Catalog, error)
}
