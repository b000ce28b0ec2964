package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// dispatchLookups is how often a dispatch answered 204 (no run details)
// lists runs, dispatchLookupGap apart, before giving up on finding the run
// it started.
const (
	dispatchLookups   = 5
	dispatchLookupGap = 3 * time.Second
)

func escapeQuery(s string) string { return url.QueryEscape(s) }

// runTitle is the part of a run's display title (the workflow's run-name,
// "tfpilot plan <request_id> (<env>)") that identifies the request.
func runTitle(d flow.Dispatch) string { return fmt.Sprintf("tfpilot %s %s", d.Workflow, d.RequestID) }

// Dispatch starts a plan or apply run with return_run_details, or returns
// the run already started for the same request, workflow and Key.
//
// Finding the existing run costs no call when this process can prove there
// is none or already knows it: a run it started for the same key; a plan on
// a branch this process created and never dispatched on; a run list it
// fetched (status polling) after its last attempt for the key that reaches
// back to the plan run. Otherwise one call lists the workflow's runs on the
// branch. Without a key visible on GitHub (flow.Dispatch.Key lives in this
// process only), a run of the same request and workflow counts as "already
// dispatched" when it is queued, in progress or succeeded — a plan only on
// the branch head, an apply only after the plan run; failed and cancelled
// runs never block a retry. With Options.DispatchKeyInput the key travels
// in the run-name and a run is matched by it exactly.
func (c *Client) Dispatch(ctx context.Context, d flow.Dispatch) (flow.Run, error) {
	r, err := c.repo(d.Project)
	if err != nil {
		return flow.Run{}, err
	}
	if (d.Workflow != flow.WorkflowPlan && d.Workflow != flow.WorkflowApply) || d.RequestID == "" || d.Ref == "" ||
		(d.Workflow == flow.WorkflowApply && d.PlanRunID == 0) {
		return flow.Run{}, fmt.Errorf("dispatch %s for %s: incomplete dispatch %+v", d.Workflow, d.RequestID, d)
	}
	defer c.lockRepo(r)()
	head := ""
	if d.Workflow == flow.WorkflowPlan {
		if head = c.branchNote(r, d.Ref).head; head == "" {
			if head, err = c.refHead(ctx, r, d.Ref, true); err != nil {
				return flow.Run{}, err
			}
		}
	}
	key := fmt.Sprintf("%s|%s|%s|%s|%d|%s", r, d.RequestID, d.Workflow, d.Key, d.PlanRunID, head)
	c.mu.Lock()
	known, ok := c.runs[key]
	attempted := c.attempts[key]
	c.mu.Unlock()
	if ok {
		return known, nil
	}
	existing, floor, err := c.findExisting(ctx, r, d, head, !attempted.IsZero())
	if err != nil {
		return flow.Run{}, err
	}
	if existing != nil {
		return c.remember(key, toRun(d.Workflow, existing)), nil
	}
	c.mu.Lock()
	c.attempts[key] = c.now()
	c.mu.Unlock()
	run, err := c.dispatch(ctx, r, d, floor)
	if err != nil {
		return flow.Run{}, err
	}
	run.HeadSHA = head
	return c.remember(key, run), nil
}

// Started implements flow.Runs: the run an earlier Dispatch of d started,
// from a fresh list of the workflow's runs on the branch (one call).
func (c *Client) Started(ctx context.Context, d flow.Dispatch) (flow.Run, bool, error) {
	r, err := c.repo(d.Project)
	if err != nil {
		return flow.Run{}, false, err
	}
	defer c.lockRepo(r)()
	runs, err := c.workflowRuns(ctx, r, d)
	if err != nil {
		return flow.Run{}, false, err
	}
	wr := c.matchRun(runs, d, "")
	if wr == nil {
		return flow.Run{}, false, nil
	}
	return toRun(d.Workflow, wr), true, nil
}

func (c *Client) remember(key string, run flow.Run) flow.Run {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs[key] = run
	return run
}

// findExisting returns the run an earlier attempt started, or nil, and the
// highest ID of the request's runs of this workflow it saw: a run a 204
// dispatch started must be newer.
func (c *Client) findExisting(ctx context.Context, r Repo, d flow.Dispatch, head string, attempted bool) (*gh.WorkflowRun, int64, error) {
	if d.Workflow == flow.WorkflowPlan && !attempted && !c.branchNote(r, d.Ref).created.IsZero() {
		return nil, 0, nil // this process created the branch and never dispatched on it
	}
	runs := []*gh.WorkflowRun(nil)
	if snap := c.cachedRuns(r); !attempted && snap != nil && (!snap.full || d.PlanRunID != 0 && snap.byID[d.PlanRunID] != nil) {
		runs = snap.order
	} else {
		var err error
		if runs, err = c.workflowRuns(ctx, r, d); err != nil {
			return nil, 0, err
		}
	}
	floor := int64(0)
	for _, wr := range runs {
		if strings.Contains(wr.GetDisplayTitle(), runTitle(d)) && wr.GetHeadBranch() == d.Ref {
			floor = max(floor, wr.GetID())
		}
	}
	return c.matchRun(runs, d, head), floor, nil
}

// workflowRuns lists the workflow's dispatch runs on the branch, newest first.
func (c *Client) workflowRuns(ctx context.Context, r Repo, d flow.Dispatch) ([]*gh.WorkflowRun, error) {
	var out gh.WorkflowRuns
	path := repoPath(r, "actions/workflows/%s.yml/runs?event=workflow_dispatch&branch=%s&per_page=100",
		d.Workflow, escapeQuery(d.Ref))
	if _, resp, err := c.get(ctx, path, &out, false); err != nil {
		return nil, mapErr(fmt.Sprintf("list %s runs of %s", d.Workflow, r), permActionsRead, resp, err)
	}
	return out.WorkflowRuns, nil
}

// keyed reports whether runs carry the dispatch key in their run-name.
func (c *Client) keyed(d flow.Dispatch) bool { return c.keyInput != "" && d.Key != "" }

// hasKey reports whether a run-name holds key as a separate word.
func hasKey(title, key string) bool {
	words := strings.FieldsFunc(title, func(r rune) bool { return strings.ContainsRune(" \t()[]{},;", r) })
	return slices.Contains(words, key)
}

// matchRun picks the newest run that the dispatch d would duplicate.
func (c *Client) matchRun(runs []*gh.WorkflowRun, d flow.Dispatch, head string) *gh.WorkflowRun {
	for _, wr := range runs {
		if !strings.Contains(wr.GetDisplayTitle(), runTitle(d)) || wr.GetHeadBranch() != d.Ref {
			continue
		}
		if c.keyed(d) { // the key says it all: same key, same run, whatever its state
			if hasKey(wr.GetDisplayTitle(), d.Key) {
				return wr
			}
			continue
		}
		if wr.GetStatus() == "completed" && wr.GetConclusion() != "success" {
			continue
		}
		if d.Workflow == flow.WorkflowPlan && head != "" && wr.GetHeadSHA() != head {
			continue
		}
		if d.Workflow == flow.WorkflowApply && wr.GetID() <= d.PlanRunID {
			continue
		}
		return wr
	}
	return nil
}

// dispatch sends the workflow_dispatch (never retried blindly: see
// transport). go-github v62 cannot send return_run_details, so the request
// is built by hand; a 204 (no details) is followed by a run lookup.
func (c *Client) dispatch(ctx context.Context, r Repo, d flow.Dispatch, floor int64) (flow.Run, error) {
	inputs := map[string]string{"request_id": d.RequestID, "environment": d.Environment}
	if d.Workflow == flow.WorkflowApply {
		inputs["plan_run_id"] = strconv.FormatInt(d.PlanRunID, 10)
		// apply.yml refuses a plan run whose run_attempt is not this one.
		// TfPilot never re-runs a run, so a plan run approved without a
		// recorded attempt (recorded before flow.Run.Attempt was) was
		// approved at attempt 1; were it re-run since, apply.yml refuses it,
		// which is the safe way to be wrong.
		inputs["plan_run_attempt"] = strconv.Itoa(max(d.PlanRunAttempt, 1))
	}
	if c.keyed(d) {
		inputs[c.keyInput] = d.Key
	}
	body := map[string]any{"ref": d.Ref, "inputs": inputs, "return_run_details": true}
	var det struct {
		WorkflowRunID int64  `json:"workflow_run_id"`
		RunURL        string `json:"run_url"`
		HTMLURL       string `json:"html_url"`
	}
	resp, err := c.send(ctx, "POST", repoPath(r, "actions/workflows/%s.yml/dispatches", d.Workflow), body, &det)
	if err != nil {
		return flow.Run{}, mapErr(fmt.Sprintf("dispatch %s for %s", d.Workflow, d.RequestID), permActionsWrite, resp, err)
	}
	if resp.StatusCode == http.StatusOK && det.WorkflowRunID != 0 {
		return flow.Run{Workflow: d.Workflow, ID: det.WorkflowRunID, URL: det.HTMLURL, Attempt: 1, Status: flow.RunQueued}, nil
	}
	return c.awaitDispatched(ctx, r, d, floor)
}

// awaitDispatched finds the run a 204 dispatch started by its run-name (and
// an ID above floor, the newest run of the request seen before), listing a
// few times while GitHub creates it. It never guesses by time.
func (c *Client) awaitDispatched(ctx context.Context, r Repo, d flow.Dispatch, floor int64) (flow.Run, error) {
	for i := 0; i < dispatchLookups; i++ {
		if i > 0 {
			if err := c.sleep(ctx, dispatchLookupGap); err != nil {
				return flow.Run{}, err
			}
		}
		runs, err := c.workflowRuns(ctx, r, d)
		if err != nil {
			return flow.Run{}, err
		}
		for _, wr := range runs {
			if strings.Contains(wr.GetDisplayTitle(), runTitle(d)) && wr.GetHeadBranch() == d.Ref &&
				wr.GetID() > floor && wr.GetID() > d.PlanRunID && (!c.keyed(d) || hasKey(wr.GetDisplayTitle(), d.Key)) {
				return toRun(d.Workflow, wr), nil
			}
		}
	}
	return flow.Run{}, fmt.Errorf("dispatch %s for %s: the run did not show up; it is looked for again on retry: %w",
		d.Workflow, d.RequestID, flow.ErrTransient)
}

func toRun(w flow.Workflow, wr *gh.WorkflowRun) flow.Run {
	return flow.Run{Workflow: w, ID: wr.GetID(), URL: wr.GetHTMLURL(), HeadSHA: wr.GetHeadSHA(),
		Attempt: wr.GetRunAttempt(), Status: mapStatus(wr.GetStatus(), wr.GetConclusion())}
}

// mapStatus maps GitHub's status and conclusion to a flow.RunStatus.
func mapStatus(status, conclusion string) flow.RunStatus {
	switch status {
	case "completed":
		switch conclusion {
		case "success":
			return flow.RunSucceeded
		case "cancelled":
			return flow.RunCancelled
		}
		return flow.RunFailed
	case "queued", "waiting", "pending", "requested":
		return flow.RunQueued
	}
	return flow.RunInProgress
}

var errNoSummarizer = errors.New("github: no plan summariser configured (Options.Summarize)")
