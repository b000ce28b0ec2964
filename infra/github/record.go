package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// RecordOnChange writes body as TfPilot's one comment on the change's pull
// request (implements flow.Repo). The comment is found again by its marker
// (flow.RecordMarker, body's first line) among the pull request's first 100
// comments, written by a bot — a person's comment quoting the marker is
// never taken for it — and remembered, so later records are one PATCH. A
// comment deleted by someone is written anew. Pull request comments are
// issue comments: "Create an issue comment" and "Update an issue comment"
// (docs.github.com/en/rest/issues/comments) need pull_requests:write (or
// issues:write) on a fine-grained App.
func (c *Client) RecordOnChange(ctx context.Context, project string, ch flow.Change, body string) error {
	r, err := c.repo(project)
	if err != nil {
		return err
	}
	if ch.Number == 0 {
		return nil
	}
	key := fmt.Sprintf("%s#%d", r, ch.Number)
	c.mu.Lock()
	id := c.records[key]
	c.mu.Unlock()
	if id == 0 {
		if id, err = c.findRecord(ctx, r, ch.Number); err != nil {
			return err
		}
	}
	if id != 0 {
		resp, err := c.send(ctx, http.MethodPatch, repoPath(r, "issues/comments/%d", id), map[string]string{"body": body}, nil)
		if err == nil {
			c.rememberRecord(key, id)
			return nil
		}
		if resp == nil || resp.StatusCode != http.StatusNotFound {
			return mapErr(fmt.Sprintf("update the record on #%d", ch.Number), permPullsWrite, resp, err)
		}
		// Deleted by someone: write it again.
	}
	var created gh.IssueComment
	resp, err := c.send(ctx, http.MethodPost, repoPath(r, "issues/%d/comments", ch.Number), map[string]string{"body": body}, &created)
	if err != nil {
		return mapErr(fmt.Sprintf("write the record on #%d", ch.Number), permPullsWrite, resp, err)
	}
	if created.GetID() == 0 {
		return errors.New("write the record: GitHub answered without a comment ID")
	}
	c.rememberRecord(key, created.GetID())
	return nil
}

// findRecord looks for TfPilot's record among the first 100 comments of
// pull request n: the newest comment by a bot that starts with the marker
// and, in App mode, was written through TfPilot's App. Any workflow can
// comment as github-actions[bot]; its author could edit a comment TfPilot
// adopted to show reviewers a record TfPilot never wrote.
func (c *Client) findRecord(ctx context.Context, r Repo, n int) (int64, error) {
	// go-github's IssueComment lacks performed_via_github_app.
	var comments []struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			Type string `json:"type"`
		} `json:"user"`
		App *struct {
			ID int64 `json:"id"`
		} `json:"performed_via_github_app"`
	}
	if _, resp, err := c.get(ctx, repoPath(r, "issues/%d/comments?per_page=100", n), &comments, false); err != nil {
		return 0, mapErr(fmt.Sprintf("read the comments of #%d", n), permPullsWrite, resp, err)
	}
	var id int64
	for _, cm := range comments {
		if strings.HasPrefix(cm.Body, flow.RecordMarker) && cm.User.Type == "Bot" &&
			(c.appID == 0 || cm.App != nil && cm.App.ID == c.appID) {
			id = cm.ID
		}
	}
	return id, nil
}

func (c *Client) rememberRecord(key string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.records) >= maxCached {
		clear(c.records)
	}
	c.records[key] = id
}
