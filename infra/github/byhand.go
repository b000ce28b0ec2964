package github

import (
	"context"
	"errors"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// branchPrefix starts the name of every branch TfPilot makes.
const branchPrefix = "tfpilot/"

// closedPage is how many of the most recently updated closed pull requests
// ClosedChanges reads: far more than close between two scans.
const closedPage = 50

// ClosedChanges lists the pull requests of TfPilot's branches most
// recently closed or merged, by anyone, newest first: one conditional GET
// of "List pull requests" (docs.github.com/rest/pulls/pulls#list-pull-
// requests) with state=closed, sort=updated, direction=desc (the default
// direction of sort=updated is asc) and per_page=50, which answers 304,
// free against the rate limit, while no pull request changed. Only pull
// requests whose head is a tfpilot/* branch of the repository itself
// count: a fork's pull request may name its branch tfpilot/<id> too. A
// pull request with merged_at set is Merged (the list's items carry no
// "merged").
func (c *Client) ClosedChanges(ctx context.Context, project string) ([]flow.Change, error) {
	r, err := c.repo(project)
	if err != nil {
		return nil, err
	}
	var prs []*gh.PullRequest
	path := repoPath(r, "pulls?state=closed&sort=updated&direction=desc&per_page=%d", closedPage)
	if _, resp, err := c.get(ctx, path, &prs, true); err != nil {
		return nil, mapErr("list closed pull requests of "+r.String(), permPullsWrite, resp, err)
	}
	var out []flow.Change
	for _, pr := range prs {
		h := pr.GetHead()
		if !strings.HasPrefix(h.GetRef(), branchPrefix) || !strings.EqualFold(h.GetRepo().GetFullName(), r.String()) {
			continue
		}
		out = append(out, flow.Change{Branch: h.GetRef(), Number: pr.GetNumber(), URL: pr.GetHTMLURL(),
			Closed: true, Merged: pr.MergedAt != nil})
	}
	return out, nil
}

// branchAtBase makes branch point at the base branch's head with no commit
// of its own (ChangeSpec.AtBase): the request's pull request was merged by
// hand, so what is planned and applied is the base as it is, on the
// request's branch. It creates the branch (merging usually deleted it) or
// force-moves it; a branch at the base head already is left alone. No pull
// request is opened; the change keeps the number of the merged one when it
// can be found (0 otherwise). 3 calls when nothing moved (GET base branch,
// GET ref, a conditional list of the branch's closed pull requests), plus
// the POST or PATCH of the ref. The caller holds the repository's lock.
func (c *Client) branchAtBase(ctx context.Context, r Repo, branch string) (flow.Change, error) {
	base, _, err := c.branchHead(ctx, r, r.BaseBranch)
	if err != nil {
		return flow.Change{}, err
	}
	head, err := c.refHead(ctx, r, branch, false)
	switch {
	case err == nil && head == base:
	case err == nil:
		err = c.moveBranch(ctx, r, branch, base)
	case errors.Is(err, flow.ErrNotFound):
		body := map[string]string{"ref": "refs/heads/" + branch, "sha": base}
		resp, postErr := c.send(ctx, "POST", repoPath(r, "git/refs"), body, nil)
		switch {
		case postErr == nil:
			c.noteBranch(r, branch, func(n *branchNote) { n.created = c.now() })
			err = nil
		case hasMessage(postErr, "Reference already exists"):
			err = c.moveBranch(ctx, r, branch, base) // made meanwhile, or our own answer lost
		default:
			err = mapErr("create branch "+branch, permContentsWrite, resp, postErr)
		}
	}
	if err != nil {
		return flow.Change{}, err
	}
	c.noteBranch(r, branch, func(n *branchNote) { n.head = base })
	pr, err := c.mergedPull(ctx, r, branch)
	if err != nil {
		return flow.Change{}, err
	}
	return flow.Change{Branch: branch, Number: pr.GetNumber(), URL: pr.GetHTMLURL(), HeadSHA: base, BaseSHA: base,
		Merged: true, Closed: true}, nil
}

// moveBranch force-updates branch to sha.
func (c *Client) moveBranch(ctx context.Context, r Repo, branch, sha string) error {
	body := map[string]any{"sha": sha, "force": true}
	if resp, err := c.send(ctx, "PATCH", repoPath(r, "git/refs/heads/%s", escapeRef(branch)), body, nil); err != nil {
		return mapErr("update branch "+branch, permContentsWrite, resp, err)
	}
	return nil
}

// mergedPull returns the newest merged pull request whose head is branch
// of the repository itself, or nil (one conditional GET).
func (c *Client) mergedPull(ctx context.Context, r Repo, branch string) (*gh.PullRequest, error) {
	var prs []*gh.PullRequest
	path := repoPath(r, "pulls?state=closed&head=%s", escapeQuery(r.Owner+":"+branch))
	if _, resp, err := c.get(ctx, path, &prs, true); err != nil {
		return nil, mapErr("find the merged pull request of "+branch, permPullsWrite, resp, err)
	}
	for _, pr := range prs { // newest first
		if pr.MergedAt != nil {
			return pr, nil
		}
	}
	return nil, nil
}
