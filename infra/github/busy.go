package github

import (
	"context"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// busyPerPage is how many of a repository's newest runs Busy reads.
const busyPerPage = 100

// Busy counts the runs of project's repository that occupy environment's
// concurrency group, tfpilot-<environment> (compared case-insensitively, as
// GitHub does): those whose status is queued, in_progress, waiting, pending
// or requested, whatever their workflow and whoever started them.
//
// The API does not say a run's concurrency group, so Busy reads it from
// the run-name: plan.yml and apply.yml name their runs "tfpilot <workflow>
// <request> <key> (<environment>)" (groupOf), and that holds for a run
// dispatched by hand from the Actions tab too. A run whose run-name is not
// TfPilot's is not counted: its group cannot be told, and a run of another
// workflow in the group (a drift check) will follow a run-name convention
// of TfPilot's that is still to be defined.
//
// Busy lists the repository's newest busyPerPage runs afresh, one
// conditional GET (a 304 costs no primary rate limit), and does not use the
// list that answers Status, which may be up to PollInterval old: a count
// from before the last run ended would hold the queue for nothing. A run
// still waiting behind more than busyPerPage newer runs is not seen.
func (c *Client) Busy(ctx context.Context, project, environment string) (int, error) {
	r, err := c.repo(project)
	if err != nil {
		return 0, err
	}
	var out gh.WorkflowRuns
	if _, resp, err := c.get(ctx, repoPath(r, "actions/runs?per_page=%d", busyPerPage), &out, true); err != nil {
		return 0, mapErr("list runs of "+r.String(), permActionsRead, resp, err)
	}
	want := strings.ToLower("tfpilot-" + environment)
	n := 0
	for _, wr := range out.WorkflowRuns {
		switch wr.GetStatus() {
		case "queued", "in_progress", "waiting", "pending", "requested":
		default:
			continue
		}
		if g, ok := groupOf(wr.GetDisplayTitle()); ok && g == want {
			n++
		}
	}
	return n, nil
}
