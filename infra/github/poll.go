package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	gh "github.com/google/go-github/v62/github"
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
)

// runsPerPage is the size of the one list call that answers Status for
// every recent run of a repository.
const runsPerPage = 100

// runList is the latest list of a repository's runs. One list (with its
// ETag, so an unchanged list is a 304) answers Status for every run of the
// repository until the poll budget gives the repository its next turn,
// however many runs are in flight.
type runList struct {
	mu    sync.Mutex // one poll at a time
	snap  *runSnapshot
	extra map[int64]*gh.WorkflowRun // runs read on their own: not on the list's first page
	// gone holds the runs that answered 404 when read on their own
	// (deleted on GitHub): every Status about one returns its error (a
	// flow.UserError: following it ends at once, saying why), not
	// only the one that happened to spend the poll turn, so following it
	// ends instead of seeing it unchanged for ever.
	gone map[int64]error
}

// runSnapshot is one fetched list; it is never modified after it is built.
type runSnapshot struct {
	full  bool // a full page: older runs may be missing
	order []*gh.WorkflowRun
	byID  map[int64]*gh.WorkflowRun
}

func (c *Client) runListFor(r Repo) *runList {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.runLists[r.String()]
	if l == nil {
		l = &runList{extra: map[int64]*gh.WorkflowRun{}, gone: map[int64]error{}}
		c.runLists[r.String()] = l
	}
	return l
}

// cachedRuns returns the last fetched list of r's runs without any call.
func (c *Client) cachedRuns(r Repo) *runSnapshot {
	l := c.runListFor(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snap
}

// runState returns run id as last seen on GitHub (nil: not seen yet) and
// r's run list (nil: none yet). It notes that id is followed and polls
// GitHub only when the poll budget gives r its turn: then it lists r's
// runs (conditionally) and reads on their own the followed runs the list's
// first page lacks, each request spending the budget. A followed run that
// answers 404 is gone: its error is kept for its own follower, and does
// not fail the caller that polled for another run.
func (c *Client) runState(ctx context.Context, r Repo, id int64) (*runSnapshot, *gh.WorkflowRun, error) {
	l := c.runListFor(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	name := r.String()
	c.polls.watch(name, id, c.now())
	if c.polls.turn(ctx, name, c.now(), l.snap == nil) {
		var out gh.WorkflowRuns
		if _, resp, err := c.get(ctx, repoPath(r, "actions/runs?per_page=%d", runsPerPage), &out, true); err != nil {
			return l.snap, nil, mapErr("list runs of "+name, permActionsRead, resp, err)
		}
		s := &runSnapshot{full: len(out.WorkflowRuns) >= runsPerPage,
			order: out.WorkflowRuns, byID: make(map[int64]*gh.WorkflowRun, len(out.WorkflowRuns))}
		for _, wr := range out.WorkflowRuns {
			s.byID[wr.GetID()] = wr
		}
		l.snap = s
		for _, other := range c.polls.followed(name) {
			if s.byID[other] != nil || l.gone[other] != nil || !c.polls.spare(ctx, c.now()) {
				continue
			}
			wr := &gh.WorkflowRun{}
			if _, resp, err := c.get(ctx, repoPath(r, "actions/runs/%d", other), wr, true); err != nil {
				err = mapErr(fmt.Sprintf("read run %d", other), permActionsRead, resp, err)
				if errors.Is(err, flow.ErrNotFound) {
					if len(l.gone) >= maxCached {
						clear(l.gone)
					}
					l.gone[other] = flow.Userf(flow.ErrNotFound, fmt.Sprintf("run %d is no longer on GitHub: it was deleted before TfPilot saw it finish", other))
					continue
				}
				if other != id {
					continue // its own follower meets the error at a later turn
				}
				return l.snap, nil, err
			}
			if len(l.extra) >= maxCached {
				clear(l.extra)
			}
			l.extra[other] = wr
		}
	}
	if err := l.gone[id]; err != nil {
		c.polls.finished(name, id)
		return l.snap, nil, err
	}
	var wr *gh.WorkflowRun
	if l.snap != nil {
		wr = l.snap.byID[id]
	}
	if wr == nil {
		wr = l.extra[id]
	}
	if wr.GetStatus() == "completed" {
		c.polls.finished(name, id)
		delete(l.extra, id)
	}
	return l.snap, wr, nil
}

// Status reports a run's status as last seen on GitHub, from the run list
// of its repository: Status is cheap and may be asked often (the engine
// asks every flow.Config.PollInterval for every run it follows), since it
// calls GitHub only when the installation's poll budget gives the
// repository its turn (Options.PollBudget; one list answers for all runs of
// the repository). A run GitHub has not shown yet comes back unchanged. A
// failed run comes back with Failure set: failing job and step and the
// last log lines, redacted.
func (c *Client) Status(ctx context.Context, project string, run flow.Run) (flow.Run, error) {
	r, err := c.repo(project)
	if err != nil {
		return run, err
	}
	snap, wr, err := c.runState(ctx, r, run.ID)
	if err != nil {
		return run, err
	}
	if wr == nil {
		return run, nil
	}
	out := run
	out.Status = mapStatus(wr.GetStatus(), wr.GetConclusion())
	if u := wr.GetHTMLURL(); u != "" {
		out.URL = u
	}
	if s := wr.GetHeadSHA(); s != "" {
		out.HeadSHA = s
	}
	if a := wr.GetRunAttempt(); a != 0 {
		out.Attempt = a // a re-run since the last look shows here
	}
	if out.Status == flow.RunCancelled && snap != nil {
		displaced, err := c.displaced(ctx, r, snap, wr)
		if err != nil {
			return run, err
		}
		if displaced {
			out.Status = flow.RunCancelledPending
		}
	}
	if out.Status == flow.RunFailed && out.Failure == "" {
		f, err := c.failure(ctx, r, run.ID)
		if err != nil {
			c.log.Warn("read failure details", zap.Int64("run", run.ID), zap.Error(err))
			f = fmt.Sprintf("the %s run failed; see %s", run.Workflow, out.URL)
		}
		out.Failure = f
	}
	return out, nil
}

// displaced reports whether a cancelled run was cancelled before it started
// because a newer run took its pending place in the concurrency group
// (queue: single). GitHub does not say who cancelled a run, so the signs
// are what that leaves behind: a newer run in the same group
// (tfpilot-<environment>, named in the run-name) and no jobs, which GitHub
// creates only when a run starts.
func (c *Client) displaced(ctx context.Context, r Repo, snap *runSnapshot, wr *gh.WorkflowRun) (bool, error) {
	group, ok := groupOf(wr.GetDisplayTitle())
	if !ok {
		return false, nil
	}
	if max, err := c.queueMax(ctx, r, workflowPath(wr.GetDisplayTitle())); err != nil || max {
		return false, err // under queue: max no run displaces another: a person cancelled it
	}
	newer := false
	for _, o := range snap.order {
		if g, ok := groupOf(o.GetDisplayTitle()); ok && g == group && createdAfter(o, wr) {
			newer = true
			break
		}
	}
	if !newer {
		return false, nil
	}
	var jobs gh.Jobs
	if _, resp, err := c.get(ctx, repoPath(r, "actions/runs/%d/jobs?filter=latest", wr.GetID()), &jobs, false); err != nil {
		return false, mapErr(fmt.Sprintf("list jobs of run %d", wr.GetID()), permActionsRead, resp, err)
	}
	return len(jobs.Jobs) == 0, nil
}

// createdAfter reports whether run a was created after run b. GitHub
// documents no order of run IDs, so created_at decides; it has whole
// seconds, and within one second the larger ID is taken as the newer.
func createdAfter(a, b *gh.WorkflowRun) bool {
	ta, tb := a.GetCreatedAt().Time, b.GetCreatedAt().Time
	return ta.After(tb) || ta.Equal(tb) && a.GetID() > b.GetID()
}

// groupOf is the concurrency group of a run whose run-name is TfPilot's,
// "tfpilot <workflow> <request_id> (<environment>)": plan.yml and apply.yml
// both use tfpilot-<environment>, compared case-insensitively as GitHub does.
func groupOf(title string) (string, bool) {
	rest, ok := strings.CutPrefix(title, "tfpilot ")
	if !ok {
		return "", false
	}
	_, env, ok := strings.Cut(rest, " (")
	if !ok {
		return "", false
	}
	env, _, ok = strings.Cut(env, ")")
	if !ok || env == "" {
		return "", false
	}
	return strings.ToLower("tfpilot-" + env), true
}

// workflowPath is the file of a run whose run-name is TfPilot's, "tfpilot
// <workflow> …": .github/workflows/<workflow>.yml (go-github's WorkflowRun
// does not carry the run's path).
func workflowPath(title string) string {
	rest, _ := strings.CutPrefix(title, "tfpilot ")
	wf, _, _ := strings.Cut(rest, " ")
	return ".github/workflows/" + wf + ".yml"
}
