package ghfake

import (
	"archive/zip"
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// run is one workflow run with its single job and (plan) artifact.
type run struct {
	id                  int64
	repo                string // owner/name
	workflow            string // plan, apply
	group               string // concurrency group, see groupOf
	inputs              map[string]string
	branch, headSHA     string
	status, conclusion  string
	neverStarted        bool // cancelled while pending in its concurrency group: it has no jobs
	created             time.Time
	hidden              int // list calls before the run shows up
	log                 string
	artifact            []byte
	artifactExpired     bool
	plan                *tfPlan // what a successful plan run planned
	htmlURL, displayTtl string
	reruns              int    // run_attempt is reruns+1, see Rerun
	rerunBy             string // login of who started the latest re-run
}

// Run is a workflow run as tests see it.
type Run struct {
	ID         int64
	Workflow   string
	Inputs     map[string]string
	Branch     string
	HeadSHA    string
	Status     string
	Conclusion string
}

// KeyInput is the optional dispatch input carrying the dispatch key; the
// fake's run-name ends with " [<key>]" when it is given.
const KeyInput = "dispatch_key"

// DefaultLog is the job log of a failed run unless SetJobLog says otherwise.
const DefaultLog = "Initializing the backend...\nError: creating S3 Bucket: AccessDenied\nProcess completed with exit code 1."

func (f *Fake) newRun(rp *repo, workflow, branch string, inputs map[string]string) *run {
	f.nextID++
	r := &run{id: f.nextID, repo: rp.owner + "/" + rp.name, workflow: workflow, inputs: inputs,
		branch: branch, headSHA: rp.refs["heads/"+branch], group: groupOf(inputs), created: f.now(),
		hidden: f.hideNewRuns, log: DefaultLog}
	f.hideNewRuns = 0
	r.htmlURL = fmt.Sprintf("https://github.com/%s/actions/runs/%d", r.repo, r.id)
	r.displayTtl = fmt.Sprintf("tfpilot %s %s (%s)", workflow, inputs["request_id"], inputs["environment"])
	if k := inputs[KeyInput]; k != "" {
		r.displayTtl += " [" + k + "]"
	}
	f.admit(r)
	f.runs[r.id] = r
	return r
}

// AddRun creates a run as if it had been dispatched (without counting a
// call) and returns its ID. Like a dispatched run it is queued, or pending
// when another run holds its concurrency group.
func (f *Fake) AddRun(full, workflow, branch string, inputs map[string]string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newRun(f.mustRepo(full), workflow, branch, maps.Clone(inputs)).id
}

func (f *Fake) mustRun(id int64) *run {
	r := f.runs[id]
	if r == nil {
		f.t.Fatalf("ghfake: no run %d", id)
	}
	return r
}

// StartRun moves a run to in_progress. Starting a pending run fails the
// test: GitHub starts it only when its concurrency group frees up. The run
// keeps the head_sha it got at dispatch: a workflow_dispatch run's
// GITHUB_SHA is the branch's last commit when the event was created, and
// that is what actions/checkout checks out, however long it waited.
func (f *Fake) StartRun(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRun(id)
	f.mustHold(r, "start")
	f.start(r)
}

func (f *Fake) start(r *run) { r.status = "in_progress" }

// SetRunStatus sets a run's raw status and conclusion ("" = null). A status
// that frees the run's concurrency group queues the next pending run.
func (f *Fake) SetRunStatus(id int64, status, conclusion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRun(id)
	r.status, r.conclusion = status, conclusion
	f.advance(r)
}

// CompleteRun finishes a run with conclusion ("success", "failure",
// "cancelled", ...) and queues the oldest pending run of its concurrency
// group. A pending run can only be cancelled.
//
// A successful plan run plans its commit against the environment's
// Terraform state (terraform.go) and gets its artifact
// tfpilot-plan-<request_id> holding plan.json (or what SetPlanJSON set),
// plan.txt and commit-sha.txt. A successful apply run writes its plan run's
// configuration to the state; if the state was written after that plan was
// made, the apply fails as terraform apply does ("Saved plan is stale"),
// whatever conclusion was asked for.
func (f *Fake) CompleteRun(id int64, conclusion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRun(id)
	if conclusion != "cancelled" {
		f.mustHold(r, "complete")
	}
	if r.status == "queued" {
		f.start(r) // a run that finishes has started first
	}
	if r.workflow == "apply" && conclusion == "success" && !f.applyRun(r) {
		conclusion, r.log = "failure", staleLog
	}
	r.neverStarted = r.status == "pending"
	r.status, r.conclusion = "completed", conclusion
	f.advance(r)
	if r.workflow != "plan" || conclusion != "success" {
		return
	}
	rp := f.mustRepo(r.repo)
	r.plan = rp.planOf(r.headSHA, r.inputs["environment"])
	planJSON, planTxt := rp.planFiles(r.plan)
	if f.planJSON != nil {
		planJSON, planTxt = f.planJSON, []byte("Plan: 1 to add, 0 to change, 0 to destroy.\n")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"plan.json": planJSON, "plan.txt": planTxt, "commit-sha.txt": []byte(r.headSHA + "\n")} {
		w, _ := zw.Create(name)
		_, _ = w.Write(data)
	}
	_ = zw.Close()
	r.artifact = buf.Bytes()
}

// applyRun writes what apply run r applies to its environment's state: the
// plan of its plan_run_id, or (a run without one, as tests add) its own
// commit. It reports false for a stale saved plan, leaving the state alone.
func (f *Fake) applyRun(r *run) bool {
	rp := f.mustRepo(r.repo)
	id, _ := strconv.ParseInt(r.inputs["plan_run_id"], 10, 64)
	if p := f.runs[id]; p != nil && p.plan != nil && p.repo == r.repo {
		return rp.applyPlan(p.plan)
	}
	return rp.applyPlan(rp.planOf(r.headSHA, r.inputs["environment"]))
}

// SetJobLog sets the log of a run's job.
func (f *Fake) SetJobLog(id int64, log string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRun(id).log = log
}

// ExpireArtifact marks a run's artifact expired (download answers 410).
func (f *Fake) ExpireArtifact(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRun(id).artifactExpired = true
}

// Runs returns the runs of a repository, oldest first.
func (f *Fake) Runs(full string) []Run {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Run
	for _, id := range slices.Sorted(maps.Keys(f.runs)) {
		r := f.runs[id]
		if r.repo == full {
			out = append(out, Run{ID: r.id, Workflow: r.workflow, Inputs: maps.Clone(r.inputs), Branch: r.branch,
				HeadSHA: r.headSHA, Status: r.status, Conclusion: r.conclusion})
		}
	}
	return out
}

func (f *Fake) runJSON(r *run) map[string]any {
	var concl any
	if r.status == "completed" {
		concl = r.conclusion
	}
	return map[string]any{
		"id": r.id, "name": "tfpilot " + r.workflow, "display_title": r.displayTtl, "event": "workflow_dispatch",
		"head_branch": r.branch, "head_sha": r.headSHA, "status": r.status, "conclusion": concl, "run_attempt": r.reruns + 1,
		"actor": appUser(), "triggering_actor": triggeringActor(r),
		"path": ".github/workflows/" + r.workflow + ".yml", "html_url": r.htmlURL,
		"url":        f.apiURL("repos/%s/actions/runs/%d", r.repo, r.id),
		"created_at": r.created.UTC().Format(time.RFC3339), "updated_at": r.created.UTC().Format(time.RFC3339),
	}
}

func (f *Fake) dispatch(c *call) {
	rp := c.repo()
	var in struct {
		Ref              string
		Inputs           map[string]string
		ReturnRunDetails *bool `json:"return_run_details"`
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	wf, ok := strings.CutSuffix(c.params["file"], ".yml")
	if !ok || (wf != "plan" && wf != "apply") {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	want := []string{"environment", "request_id"}
	if wf == "apply" {
		want = []string{"environment", "plan_run_attempt", "plan_run_id", "request_id"}
	}
	if _, ok := in.Inputs[KeyInput]; ok {
		want = slices.Sorted(slices.Values(append(want, KeyInput)))
	}
	if got := slices.Sorted(maps.Keys(in.Inputs)); !slices.Equal(got, want) {
		f.t.Errorf("ghfake: dispatch %s: inputs %v, want %v", wf, got, want)
		c.error(http.StatusUnprocessableEntity, "Unexpected inputs provided")
		return
	}
	if _, ok := rp.refs["heads/"+in.Ref]; !ok {
		c.error(http.StatusUnprocessableEntity, "No ref found for: "+in.Ref)
		return
	}
	r := f.newRun(rp, wf, in.Ref, in.Inputs)
	if in.ReturnRunDetails == nil || !*in.ReturnRunDetails || f.noRunDetails {
		c.noContent()
		return
	}
	c.json(http.StatusOK, map[string]any{"workflow_run_id": r.id, "html_url": r.htmlURL,
		"run_url": f.apiURL("repos/%s/actions/runs/%d", r.repo, r.id)})
}

// listed answers a page of runs of rp (newest first) that pass keep.
func (f *Fake) listed(c *call, rp *repo, keep func(*run) bool) {
	full := rp.owner + "/" + rp.name
	var all []*run
	for _, id := range slices.Backward(slices.Sorted(maps.Keys(f.runs))) {
		r := f.runs[id]
		if r.repo != full {
			continue
		}
		if r.hidden > 0 {
			r.hidden--
			continue
		}
		if keep(r) && (c.query("event") == "" || c.query("event") == "workflow_dispatch") &&
			(c.query("branch") == "" || c.query("branch") == r.branch) {
			all = append(all, r)
		}
	}
	per, _ := strconv.Atoi(c.query("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	page, _ := strconv.Atoi(c.query("page"))
	page = max(page, 1)
	out := []map[string]any{}
	for i := (page - 1) * per; i < len(all) && i < page*per; i++ {
		out = append(out, f.runJSON(all[i]))
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(all), "workflow_runs": out})
}

func (f *Fake) listWorkflowRuns(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	wf := strings.TrimSuffix(c.params["file"], ".yml")
	f.listed(c, rp, func(r *run) bool { return r.workflow == wf })
}

func (f *Fake) listRuns(c *call) {
	if rp := c.repo(); rp != nil {
		f.listed(c, rp, func(*run) bool { return true })
	}
}

// repoRun returns the addressed run of the addressed repository, or answers 404.
func (c *call) repoRun(id int64) *run {
	rp := c.repo()
	if rp == nil {
		return nil
	}
	r := c.f.runs[id]
	if r == nil || r.repo != rp.owner+"/"+rp.name {
		c.error(http.StatusNotFound, "Not Found")
		return nil
	}
	return r
}

func (f *Fake) getRun(c *call) {
	if id, ok := c.intParam("id"); ok {
		if r := c.repoRun(id); r != nil {
			c.json(http.StatusOK, f.runJSON(r))
		}
	}
}

func jobName(r *run) string {
	if r.workflow == "plan" {
		return "Plan"
	}
	return "Apply"
}

func (f *Fake) listJobs(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	r := c.repoRun(id)
	if r == nil {
		return
	}
	if r.neverStarted || r.status == "pending" {
		// A run waiting in (or cancelled from) its concurrency group's queue
		// has no jobs: GitHub creates them when the run starts.
		c.json(http.StatusOK, map[string]any{"total_count": 0, "jobs": []any{}})
		return
	}
	step := func(n int, name, concl string) map[string]any {
		return map[string]any{"number": n, "name": name, "status": "completed", "conclusion": concl}
	}
	tfConcl := "success"
	if r.status == "completed" && r.conclusion != "success" {
		tfConcl = r.conclusion
	}
	jobs := []map[string]any{
		{"id": r.id*10 + 0, "run_id": r.id, "name": "Check inputs", "status": "completed", "conclusion": "success",
			"steps": []map[string]any{step(1, "Set up job", "success"), step(2, "Validate request_id and environment", "success")}},
		{"id": r.id*10 + 1, "run_id": r.id, "name": jobName(r), "status": r.status, "conclusion": r.conclusion,
			"steps": []map[string]any{step(1, "Set up job", "success"), step(2, "terraform init", "success"),
				step(3, "terraform "+r.workflow, tfConcl)}},
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(jobs), "jobs": jobs})
}

func (f *Fake) jobLogs(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if r := c.repoRun(id / 10); r != nil {
		c.w.Header().Set("Location", f.apiURL("_download/jobs/%d", id))
		c.w.WriteHeader(http.StatusFound)
	}
}

func (f *Fake) downloadLog(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	r := f.runs[id/10]
	if r == nil {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	var b strings.Builder
	for _, line := range strings.Split(r.log, "\n") {
		fmt.Fprintf(&b, "2026-01-02T03:04:05.0000000Z %s\n", line)
	}
	c.w.Header().Set("Content-Type", "text/plain")
	_, _ = c.w.Write([]byte(b.String()))
}

func (f *Fake) listArtifacts(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	r := c.repoRun(id)
	if r == nil {
		return
	}
	out := []map[string]any{}
	if r.artifact != nil {
		name := "tfpilot-plan-" + r.inputs["request_id"]
		if q := c.query("name"); q == "" || q == name {
			out = append(out, map[string]any{"id": r.id*10 + 2, "name": name, "size_in_bytes": len(r.artifact),
				"expired": r.artifactExpired, "workflow_run": map[string]any{"id": r.id},
				"archive_download_url": f.apiURL("repos/%s/actions/artifacts/%d/zip", r.repo, r.id*10+2)})
		}
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(out), "artifacts": out})
}

func (f *Fake) artifactZip(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	r := c.repoRun(id / 10)
	switch {
	case r == nil:
	case r.artifact == nil:
		c.error(http.StatusNotFound, "Not Found")
	case r.artifactExpired:
		c.error(http.StatusGone, "Artifact has expired")
	default:
		c.w.Header().Set("Location", f.apiURL("_download/artifacts/%d", id))
		c.w.WriteHeader(http.StatusFound)
	}
}

func (f *Fake) downloadArtifact(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	r := f.runs[id/10]
	if r == nil || r.artifact == nil {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	c.w.Header().Set("Content-Type", "application/zip")
	_, _ = c.w.Write(r.artifact)
}
