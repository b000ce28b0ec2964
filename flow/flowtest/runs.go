package flowtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Runs is an in-memory flow.Runs. Dispatch is idempotent by (RequestID,
// Workflow, Key). A run reports Polls×in-progress, then its outcome.
type Runs struct {
	Faults
	repo *Repo

	mu      sync.Mutex
	nextID  int64
	runs    map[int64]*fakeRun
	byKey   map[runKey]int64
	counts  map[countKey]int
	outcome map[flow.Workflow]Outcome
	plan    *flow.PlanSummary // nil: defaultPlan
	// defaults is each run's plan while plan is nil (defaultPlan).
	defaults map[int64]flow.PlanSummary
	Polls    int // in-progress polls before a run finishes
	dispatch []flow.Dispatch
	foreign  map[string]int // environment → runs TfPilot did not dispatch
	overlaps int
	edit     func(requestID string, p *flow.PlanSummary)
}

// Outcome is how runs of a workflow end.
type Outcome struct {
	Status  flow.RunStatus
	Failure string
}

type runKey struct {
	request  string
	workflow flow.Workflow
	key      string
}

type countKey struct {
	request  string
	workflow flow.Workflow
}

type fakeRun struct {
	run     flow.Run
	env     string
	request string
	polls   int
}

var _ flow.Runs = (*Runs)(nil)

// NewRuns returns runs whose commits come from repo's branches (nil: none).
// Runs succeed and plans show what the branch writes (defaultPlan) until told otherwise.
func NewRuns(repo *Repo) *Runs {
	return &Runs{
		repo: repo, nextID: 100, runs: map[int64]*fakeRun{}, defaults: map[int64]flow.PlanSummary{}, byKey: map[runKey]int64{}, counts: map[countKey]int{},
		outcome: map[flow.Workflow]Outcome{flow.WorkflowPlan: {Status: flow.RunSucceeded}, flow.WorkflowApply: {Status: flow.RunSucceeded}},
	}
}

// defaultPlan is what a plan shows until SetPlan: a bucket to create for
// each file the branch writes (in the module block tfpilot_<label> the file
// is named after), one to delete for each file it deletes; without files
// (no repo), one bucket to create in request id's own module block.
//
// Each module block changed gets a digest (PlanSummary.ModuleDigests) of
// its action and the file's content, as a Terraform plan's would change
// with the values the file sets.
func defaultPlan(id string, files []flow.FileChange) flow.PlanSummary {
	p := flow.PlanSummary{ModuleDigests: map[string]string{}}
	add := func(label, action, content string) {
		mod := "module.tfpilot_" + label
		p.Resources = append(p.Resources, flow.ResourceChange{Address: mod + ".aws_s3_bucket.this", Action: action})
		sum := sha256.Sum256([]byte(action + "\n" + content))
		p.ModuleDigests[mod] = hex.EncodeToString(sum[:])
	}
	for _, f := range files {
		label, ok := strings.CutPrefix(strings.TrimSuffix(path.Base(f.Path), ".tf"), "tfpilot_")
		switch {
		case !ok:
		case f.Delete:
			p.Delete++
			add(label, "delete", "")
		default:
			p.Create++
			add(label, "create", string(f.Content))
		}
	}
	if len(p.Resources) == 0 {
		p.Create++
		add(registry.Label(id), "create", "")
	}
	return p
}

// SetOutcome makes later-finishing runs of w end with status and failure.
func (r *Runs) SetOutcome(w flow.Workflow, status flow.RunStatus, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcome[w] = Outcome{Status: status, Failure: failure}
}

// EditPlans makes PlanResult pass each plan of a request through edit
// before returning it (nil: as made): a plan that changed for reasons the
// fake does not model (a provider's new default, drift in the module).
func (r *Runs) EditPlans(edit func(requestID string, p *flow.PlanSummary)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.edit = edit
}

// SetPlan sets the summary PlanResult returns.
func (r *Runs) SetPlan(p flow.PlanSummary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plan = &p
}

// Dispatch implements flow.Runs. Faults: "Dispatch", "Dispatch:<workflow>"
// before, "Dispatch:<workflow>:done" after the run is started.
func (r *Runs) Dispatch(ctx context.Context, d flow.Dispatch) (flow.Run, error) {
	if err := r.hit(ctx, "Dispatch"); err != nil {
		return flow.Run{}, err
	}
	if err := r.hit(ctx, "Dispatch:"+string(d.Workflow)); err != nil {
		return flow.Run{}, err
	}
	run := r.dispatchRun(d)
	if err := r.hit(ctx, "Dispatch:"+string(d.Workflow)+":done"); err != nil {
		return flow.Run{}, err
	}
	return run, nil
}

// Started implements flow.Runs: the run Dispatch started for d's request,
// workflow and key. Fault "Started".
func (r *Runs) Started(ctx context.Context, d flow.Dispatch) (flow.Run, bool, error) {
	if err := r.hit(ctx, "Started"); err != nil {
		return flow.Run{}, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.byKey[runKey{d.RequestID, d.Workflow, d.Key}]
	if !ok {
		return flow.Run{}, false, nil
	}
	return r.runs[id].run, true, nil
}

func (r *Runs) dispatchRun(d flow.Dispatch) flow.Run {
	head := ""
	var files []flow.FileChange
	if r.repo != nil {
		head, files = r.repo.Head(d.Ref), r.repo.Files(d.Ref)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := runKey{d.RequestID, d.Workflow, d.Key}
	if id, ok := r.byKey[k]; ok {
		return r.runs[id].run
	}
	if r.busy(d.Environment, false) > 0 {
		r.overlaps++
	}
	r.nextID++
	run := flow.Run{Workflow: d.Workflow, ID: r.nextID, URL: fmt.Sprintf("https://example.test/runs/%d", r.nextID), HeadSHA: head, Status: flow.RunQueued, Attempt: 1}
	r.runs[run.ID] = &fakeRun{run: run, env: d.Environment, request: d.RequestID}
	r.byKey[k] = run.ID
	r.defaults[run.ID] = defaultPlan(d.RequestID, files)
	r.counts[countKey{d.RequestID, d.Workflow}]++
	r.dispatch = append(r.dispatch, d)
	return run
}

// Status implements flow.Runs. Faults: "Status", "Status:<workflow>".
func (r *Runs) Status(ctx context.Context, project string, run flow.Run) (flow.Run, error) {
	if err := r.hit(ctx, "Status"); err != nil {
		return flow.Run{}, err
	}
	if err := r.hit(ctx, "Status:"+string(run.Workflow)); err != nil {
		return flow.Run{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fr, ok := r.runs[run.ID]
	if !ok {
		return flow.Run{}, fmt.Errorf("run %d: %w", run.ID, flow.ErrNotFound)
	}
	if !fr.run.Status.Done() {
		if fr.polls < r.Polls {
			fr.polls++
			fr.run.Status = flow.RunInProgress
		} else {
			o := r.outcome[fr.run.Workflow]
			fr.run.Status, fr.run.Failure = o.Status, o.Failure
		}
	}
	return fr.run, nil
}

// PlanResult implements flow.Runs.
func (r *Runs) PlanResult(ctx context.Context, project string, run flow.Run) (flow.PlanSummary, error) {
	if err := r.hit(ctx, "PlanResult"); err != nil {
		return flow.PlanSummary{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.defaults[run.ID]
	if r.plan != nil {
		p = *r.plan
	}
	if r.edit != nil {
		p.Resources = slices.Clone(p.Resources)
		p.ModuleDigests = maps.Clone(p.ModuleDigests)
		r.edit(r.runs[run.ID].request, &p)
	}
	return p, nil
}

// Count returns how many runs of workflow w were dispatched for request id.
func (r *Runs) Count(id string, w flow.Workflow) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[countKey{id, w}]
}

// Dispatches returns every dispatch that started a run, in order.
func (r *Runs) Dispatches() []flow.Dispatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flow.Dispatch(nil), r.dispatch...)
}

// Busy implements flow.Runs: the runs of environment not finished yet, and
// the foreign ones (SetForeign). Time passes for runs nobody follows (their
// request was cancelled): each Busy counts as one poll of them, so they end
// as they would on GitHub. Fault: "Busy".
func (r *Runs) Busy(ctx context.Context, project, environment string) (int, error) {
	if err := r.hit(ctx, "Busy"); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.busy(environment, true), nil
}

func (r *Runs) busy(env string, advance bool) int {
	n := r.foreign[env]
	for _, fr := range r.runs {
		if fr.env != env || fr.run.Status.Done() {
			continue
		}
		n++
		if advance {
			if fr.polls < r.Polls {
				fr.polls++
			} else {
				o := r.outcome[fr.run.Workflow]
				fr.run.Status, fr.run.Failure = o.Status, o.Failure
			}
		}
	}
	return n
}

// SetForeign says n runs TfPilot did not dispatch (a hand-dispatched or
// scheduled run) occupy environment's concurrency group until set to 0.
func (r *Runs) SetForeign(environment string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.foreign == nil {
		r.foreign = map[string]int{}
	}
	r.foreign[environment] = n
}

// Overlaps returns how many dispatches started a run while another run of
// the same environment had not finished: TfPilot's queue should keep it 0.
func (r *Runs) Overlaps() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.overlaps
}
