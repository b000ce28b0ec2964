package local

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Repo is the environment repository runs check out.
	Repo *GitRepo
	// Terraform is the terraform binary. Empty means preview mode: plans are
	// static previews computed from the modules' resource blocks and applies
	// change nothing.
	Terraform string
	// Summarize turns `terraform show -json` output into a summary
	// (tfplan.Summarize); required with Terraform.
	Summarize func(planJSON []byte) (flow.PlanSummary, error)
	// DataDir holds the runs (runs/<id>/), Terraform's CLI configuration,
	// provider cache and, in Terraform mode, each environment's local state.
	DataDir string
	// Now is the clock for run records; time.Now when nil.
	Now func() time.Time
	// MaxPlanJSON bounds what a plan run reads of `terraform show` (default
	// MaxPlanJSON); a larger plan fails the run.
	MaxPlanJSON int
}

// Runner is the local stand-in for the plan and apply workflows: it
// implements flow.Runs. A run checks out the change's head commit into
// runs/<id>/work and plans or applies there, with real Terraform or as a
// preview. Runs are numbered from 1 and recorded under DataDir, so a
// restarted process reports (and, if one was cut short, finishes) the runs
// of the last one.
//
// Runs execute one at a time, like the workflows' shared concurrency group,
// and complete before Dispatch returns; Status resumes a run that a crash
// left unfinished.
type Runner struct {
	opts RunnerOptions
	dir  string // DataDir/runs

	mu     sync.Mutex // guards the run records, active and held
	active map[int64]bool
	held   map[int64]*heldRun // runs a call of this process is taking to their end
	exec   sync.Mutex         // one run at a time
}

// heldRun is a run that calls of this process (Dispatch, Status) are
// taking to its end: queued for the exec lock or executing.
type heldRun struct {
	project, environment string
	calls                int
}

// NewRunner checks the options and prepares the data folder.
func NewRunner(opts RunnerOptions) (*Runner, error) {
	if opts.Repo == nil {
		return nil, errors.New("local runner: no repository")
	}
	if opts.DataDir == "" {
		return nil, errors.New("local runner: no data folder")
	}
	if opts.Terraform != "" && opts.Summarize == nil {
		return nil, errors.New("local runner: Terraform mode needs a plan summarizer")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Runner{opts: opts, dir: filepath.Join(opts.DataDir, "runs"), active: map[int64]bool{}, held: map[int64]*heldRun{}}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	return r, nil
}

// Preview reports whether the runner makes previews rather than real plans.
func (r *Runner) Preview() bool { return r.opts.Terraform == "" }

// runRecord is runs/<id>/run.json.
type runRecord struct {
	ID          int64             `json:"id"`
	Workflow    flow.Workflow     `json:"workflow"`
	Project     string            `json:"project"`
	RequestID   string            `json:"request_id"`
	Environment string            `json:"environment"`
	Ref         string            `json:"ref"`
	HeadSHA     string            `json:"head_sha"`
	PlanRunID   int64             `json:"plan_run_id,omitempty"`
	Key         string            `json:"key,omitempty"` // flow.Dispatch.Key of the effect that asked for it
	Status      flow.RunStatus    `json:"status"`
	Failure     string            `json:"failure,omitempty"`
	Plan        *flow.PlanSummary `json:"plan,omitempty"`
	Created     time.Time         `json:"created"`
	Finished    time.Time         `json:"finished,omitzero"`
}

func (r *Runner) runDir(id int64) string { return filepath.Join(r.dir, strconv.FormatInt(id, 10)) }

// run is the record as flow sees it.
func (r *Runner) run(rec *runRecord) flow.Run {
	return flow.Run{
		Workflow: rec.Workflow, ID: rec.ID, URL: filepath.Join(r.runDir(rec.ID), "log.txt"),
		HeadSHA: rec.HeadSHA, Status: rec.Status, Failure: rec.Failure,
	}
}

// Dispatch starts a run of d.Workflow on the head of branch d.Ref and
// returns it finished. A run already made for the same request, workflow,
// commit and plan run is returned instead of a second one, unless it failed
// or was cancelled (then a retry runs again): a dispatch repeated after a
// crash never plans or applies twice.
func (r *Runner) Dispatch(ctx context.Context, d flow.Dispatch) (flow.Run, error) {
	if d.Workflow != flow.WorkflowPlan && d.Workflow != flow.WorkflowApply {
		return flow.Run{}, fmt.Errorf("dispatch %s: unknown workflow", d.Workflow)
	}
	head, ok, err := r.opts.Repo.Resolve(ctx, d.Ref)
	if err != nil {
		return flow.Run{}, fmt.Errorf("dispatch %s for %s: %w", d.Workflow, d.RequestID, err)
	}
	if !ok {
		return flow.Run{}, fmt.Errorf("dispatch %s for %s: no branch %s: %w", d.Workflow, d.RequestID, d.Ref, flow.ErrNotFound)
	}
	rec, release, err := r.claim(d, head)
	if err != nil {
		return flow.Run{}, err
	}
	defer release()
	return r.finish(ctx, rec)
}

// claim finds the run that answers d at head, or records a new queued one,
// and holds it (see hold) until release is called.
func (r *Runner) claim(d flow.Dispatch, head string) (rec *runRecord, release func(), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, err = r.find(d, head)
	if err != nil {
		return nil, nil, err
	}
	return rec, r.hold(rec), nil
}

// find is claim without the hold; the caller holds r.mu.
func (r *Runner) find(d flow.Dispatch, head string) (*runRecord, error) {
	all, err := r.loadAll()
	if err != nil {
		return nil, err
	}
	var last int64
	for _, rec := range all {
		last = max(last, rec.ID)
		if rec.RequestID != d.RequestID || rec.Workflow != d.Workflow {
			continue
		}
		// With a dispatch key (the asking effect's ID) the answer is exactly
		// the run that key started: a re-plan has a new key and gets a new
		// run even on an unchanged commit. Without one, reuse a live or
		// successful run of the same commit and plan.
		if d.Key != "" {
			if rec.Key == d.Key {
				return rec, nil
			}
			continue
		}
		if rec.HeadSHA == head && rec.PlanRunID == d.PlanRunID && rec.Status != flow.RunFailed && rec.Status != flow.RunCancelled {
			return rec, nil
		}
	}
	rec := &runRecord{
		Workflow: d.Workflow, Project: d.Project, RequestID: d.RequestID, Environment: d.Environment,
		Ref: d.Ref, HeadSHA: head, PlanRunID: d.PlanRunID, Key: d.Key, Status: flow.RunQueued, Created: r.opts.Now().UTC(),
	}
	// Mkdir claims the number: it fails if the folder exists.
	for rec.ID = last + 1; ; rec.ID++ {
		err := os.Mkdir(r.runDir(rec.ID), 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("new run: %w", err)
		}
	}
	return rec, r.save(rec)
}

// Status reports a run. A run left unfinished by an earlier process is
// finished now.
func (r *Runner) Status(ctx context.Context, project string, run flow.Run) (flow.Run, error) {
	rec, err := r.load(run.ID)
	if err != nil {
		return flow.Run{}, err
	}
	r.mu.Lock()
	release := r.hold(rec)
	r.mu.Unlock()
	defer release()
	return r.finish(ctx, rec)
}

// Started implements flow.Runs: the run recorded for d's request,
// workflow and key (a dispatch without a key has no run to name), as it
// stands, without running it.
func (r *Runner) Started(ctx context.Context, d flow.Dispatch) (flow.Run, bool, error) {
	if err := ctx.Err(); err != nil {
		return flow.Run{}, false, err
	}
	if d.Key == "" {
		return flow.Run{}, false, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	all, err := r.loadAll()
	if err != nil {
		return flow.Run{}, false, err
	}
	for _, rec := range all {
		if rec.RequestID == d.RequestID && rec.Workflow == d.Workflow && rec.Key == d.Key {
			return r.run(rec), true, nil
		}
	}
	return flow.Run{}, false, nil
}

// Busy counts the runs of project's environment that this process has
// started and not finished: claimed by a Dispatch or resumed by a Status
// and not done yet, whether waiting for their turn or executing. A run
// that an earlier process left unfinished does not count until a Status
// resumes it: nothing executes it meanwhile, and if its request is gone
// nothing ever will.
func (r *Runner) Busy(ctx context.Context, project, environment string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("busy runs of %s: %w", environment, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, h := range r.held {
		if h.project == project && h.environment == environment {
			n++
		}
	}
	return n, nil
}

// hold counts rec as started by this process (see Busy) until the returned
// release is called; a finished run is not held. The caller holds r.mu.
func (r *Runner) hold(rec *runRecord) (release func()) {
	if rec.Status.Done() {
		return func() {}
	}
	h := r.held[rec.ID]
	if h == nil {
		h = &heldRun{project: rec.Project, environment: rec.Environment}
		r.held[rec.ID] = h
	}
	h.calls++
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if h.calls--; h.calls == 0 {
			delete(r.held, rec.ID)
		}
	}
}

// PlanResult returns the summary of a finished plan run.
func (r *Runner) PlanResult(ctx context.Context, project string, run flow.Run) (flow.PlanSummary, error) {
	rec, err := r.load(run.ID)
	if err != nil {
		return flow.PlanSummary{}, err
	}
	if rec.Workflow != flow.WorkflowPlan || rec.Plan == nil {
		return flow.PlanSummary{}, fmt.Errorf("run %d (%s, %s) has no plan: %w", rec.ID, rec.Workflow, rec.Status, flow.ErrNotFound)
	}
	return *rec.Plan, nil
}

// finish executes rec unless it is done or another call is executing it.
func (r *Runner) finish(ctx context.Context, rec *runRecord) (flow.Run, error) {
	if rec.Status.Done() {
		return r.run(rec), nil
	}
	r.mu.Lock()
	busy := r.active[rec.ID]
	if !busy {
		r.active[rec.ID] = true
	}
	r.mu.Unlock()
	if busy {
		return r.run(rec), nil
	}
	defer func() {
		r.mu.Lock()
		delete(r.active, rec.ID)
		r.mu.Unlock()
	}()
	r.exec.Lock()
	defer r.exec.Unlock()
	// Reload: the run may have finished while this call waited for its turn.
	rec, err := r.load(rec.ID)
	if err != nil || rec.Status.Done() {
		if err != nil {
			return flow.Run{}, err
		}
		return r.run(rec), nil
	}
	rec.Status = flow.RunInProgress
	if err := r.save(rec); err != nil {
		return flow.Run{}, err
	}
	r.execute(ctx, rec)
	if ctx.Err() != nil {
		// Cut short: leave it in progress so Status finishes it later.
		return flow.Run{}, fmt.Errorf("run %d: %w", rec.ID, ctx.Err())
	}
	rec.Finished = r.opts.Now().UTC()
	if err := r.save(rec); err != nil {
		return flow.Run{}, err
	}
	return r.run(rec), nil
}

func (r *Runner) load(id int64) (*runRecord, error) {
	data, err := os.ReadFile(filepath.Join(r.runDir(id), "run.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("run %d: %w", id, flow.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("run %d: %w", id, err)
	}
	rec := &runRecord{}
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("run %d: %w", id, err)
	}
	return rec, nil
}

func (r *Runner) save(rec *runRecord) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("run %d: %w", rec.ID, err)
	}
	if err := writeAtomically(filepath.Join(r.runDir(rec.ID), "run.json"), append(data, '\n')); err != nil {
		return fmt.Errorf("run %d: %w", rec.ID, err)
	}
	return nil
}

// loadAll reads every run record, in ID order. A folder without a record
// (a claim cut short) is skipped.
func (r *Runner) loadAll() ([]*runRecord, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var out []*runRecord
	for _, e := range entries {
		id, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		rec, err := r.load(id)
		if errors.Is(err, flow.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b *runRecord) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
