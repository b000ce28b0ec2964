package github

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
)

// runsPerPage is the size of the one list call that answers Status for
// every recent run of a repository.
const runsPerPage = 100

// runList is the latest list of a repository's runs. One fetch (with its
// ETag, so an unchanged list is a free 304) answers Status for every run of
// the repository for PollInterval, however many runs are in flight.
type runList struct {
	mu    sync.Mutex // one fetch at a time
	snap  *runSnapshot
	stale bool // a dispatch happened since: list again at the next Status
}

// runSnapshot is one fetched list; it is never modified after it is built.
type runSnapshot struct {
	fetched time.Time
	full    bool // a full page: older runs may be missing
	order   []*gh.WorkflowRun
	byID    map[int64]*gh.WorkflowRun
}

func (c *Client) runListFor(r Repo) *runList {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.runLists[r.String()]
	if l == nil {
		l = &runList{}
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

// repoRuns returns r's runs, listing them again (conditionally) when the
// last list is older than PollInterval or a dispatch happened since.
func (c *Client) repoRuns(ctx context.Context, r Repo) (*runSnapshot, error) {
	l := c.runListFor(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	c.mu.Lock()
	stale := l.stale
	c.mu.Unlock()
	if l.snap != nil && !stale && c.now().Sub(l.snap.fetched) < c.poll {
		return l.snap, nil
	}
	var out gh.WorkflowRuns
	if _, resp, err := c.get(ctx, repoPath(r, "actions/runs?per_page=%d", runsPerPage), &out, true); err != nil {
		return nil, mapErr("list runs of "+r.String(), permActionsRead, resp, err)
	}
	s := &runSnapshot{fetched: c.now(), full: len(out.WorkflowRuns) >= runsPerPage,
		order: out.WorkflowRuns, byID: make(map[int64]*gh.WorkflowRun, len(out.WorkflowRuns))}
	for _, wr := range out.WorkflowRuns {
		s.byID[wr.GetID()] = wr
	}
	l.snap = s
	c.mu.Lock()
	l.stale = false
	c.mu.Unlock()
	return s, nil
}

// Status reports a run's status from the repository's run list (one call
// per PollInterval for all runs); a run not on the list's first page is
// read on its own, conditionally. A failed run comes back with Failure
// set: failing job and step and the last log lines, redacted.
func (c *Client) Status(ctx context.Context, project string, run flow.Run) (flow.Run, error) {
	r, err := c.repo(project)
	if err != nil {
		return run, err
	}
	snap, err := c.repoRuns(ctx, r)
	if err != nil {
		return run, err
	}
	wr := snap.byID[run.ID]
	if wr == nil {
		wr = &gh.WorkflowRun{}
		if _, resp, err := c.get(ctx, repoPath(r, "actions/runs/%d", run.ID), wr, true); err != nil {
			return run, mapErr(fmt.Sprintf("read run %d", run.ID), permActionsRead, resp, err)
		}
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
	if out.Status == flow.RunCancelled {
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
