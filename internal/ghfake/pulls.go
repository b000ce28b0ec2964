package ghfake

import (
	"fmt"
	"net/http"
	"strings"
)

func (f *Fake) pullJSON(rp *repo, p *pull) map[string]any {
	head := rp.refs["heads/"+p.head]
	if head == "" {
		head = p.headSHA
	}
	p.headSHA = head
	return map[string]any{
		"number": p.number, "state": p.state, "title": p.title, "body": p.body, "merged": p.merged,
		"html_url":         fmt.Sprintf("https://github.com/%s/%s/pull/%d", rp.owner, rp.name, p.number),
		"merge_commit_sha": p.mergeSHA,
		"head":             map[string]string{"ref": p.head, "sha": head, "label": rp.owner + ":" + p.head},
		"base":             map[string]string{"ref": p.base, "sha": rp.refs["heads/"+p.base], "label": rp.owner + ":" + p.base},
	}
}

func (c *call) pull(rp *repo) *pull {
	n, ok := c.intParam("n")
	if !ok {
		return nil
	}
	for _, p := range rp.pulls {
		if int64(p.number) == n {
			return p
		}
	}
	c.error(http.StatusNotFound, "Not Found")
	return nil
}

func (f *Fake) listPulls(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	state, head := c.query("state"), c.query("head")
	if state == "" {
		state = "open"
	}
	out := []map[string]any{}
	for _, p := range rp.pulls {
		if (state == "all" || p.state == state) && (head == "" || head == rp.owner+":"+p.head) {
			out = append(out, f.pullJSON(rp, p))
		}
	}
	c.json(http.StatusOK, out)
}

func (f *Fake) createPull(c *call) {
	rp := c.repo()
	var in struct {
		Title, Head, Base, Body string
		Draft                   *bool
		MaintainerCanModify     *bool `json:"maintainer_can_modify"`
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	head := strings.TrimPrefix(in.Head, rp.owner+":")
	if _, ok := rp.refs["heads/"+head]; !ok || in.Title == "" {
		c.error(http.StatusUnprocessableEntity, "Validation Failed",
			map[string]string{"resource": "PullRequest", "field": "head", "code": "invalid"})
		return
	}
	if _, ok := rp.refs["heads/"+in.Base]; !ok {
		c.error(http.StatusUnprocessableEntity, "Validation Failed",
			map[string]string{"resource": "PullRequest", "field": "base", "code": "invalid"})
		return
	}
	for _, p := range rp.pulls {
		if p.head == head && p.state == "open" {
			c.error(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "PullRequest",
				"code": "custom", "message": "A pull request already exists for " + rp.owner + ":" + head + "."})
			return
		}
	}
	p := &pull{number: len(rp.pulls) + 1, title: in.Title, body: in.Body, head: head, base: in.Base, state: "open"}
	rp.pulls = append(rp.pulls, p)
	c.json(http.StatusCreated, f.pullJSON(rp, p))
}

func (f *Fake) getPull(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	if p := c.pull(rp); p != nil {
		c.json(http.StatusOK, f.pullJSON(rp, p))
	}
}

func (f *Fake) editPull(c *call) {
	rp := c.repo()
	var in struct{ State, Title, Body *string }
	if rp == nil || !c.decode(&in) {
		return
	}
	p := c.pull(rp)
	if p == nil {
		return
	}
	if in.State != nil {
		if *in.State != "open" && *in.State != "closed" {
			c.error(http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		if !p.merged {
			p.state = *in.State
		}
	}
	if in.Title != nil {
		p.title = *in.Title
	}
	if in.Body != nil {
		p.body = *in.Body
	}
	c.json(http.StatusOK, f.pullJSON(rp, p))
}

func (f *Fake) mergePull(c *call) {
	rp := c.repo()
	var in struct {
		MergeMethod   string `json:"merge_method"`
		SHA           string
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	p := c.pull(rp)
	if p == nil {
		return
	}
	head, base := rp.refs["heads/"+p.head], rp.refs["heads/"+p.base]
	switch {
	case p.merged || p.state != "open" || head == "":
		c.error(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
		return
	case in.SHA != "" && in.SHA != head:
		c.error(http.StatusConflict, "Head branch was modified. Review and try the merge again.")
		return
	case in.MergeMethod != "squash" && in.MergeMethod != "merge" && in.MergeMethod != "rebase":
		c.error(http.StatusUnprocessableEntity, "Invalid merge_method")
		return
	case rp.protection != "" && p.base == rp.base:
		c.error(http.StatusMethodNotAllowed, rp.protection)
		return
	}
	title := in.CommitTitle
	if title == "" {
		title = fmt.Sprintf("%s (#%d)", p.title, p.number)
	}
	sha := rp.putCommit(rp.putTree(rp.applyBranch(head, base)), title, base)
	rp.refs["heads/"+p.base] = sha
	p.merged, p.state, p.mergeSHA, p.mergeMethod, p.headSHA = true, "closed", sha, in.MergeMethod, head
	c.json(http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

func (f *Fake) updateBranch(c *call) {
	rp := c.repo()
	var in struct {
		ExpectedHeadSHA string `json:"expected_head_sha"`
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	p := c.pull(rp)
	if p == nil {
		return
	}
	head, base := rp.refs["heads/"+p.head], rp.refs["heads/"+p.base]
	switch {
	case p.state != "open" || head == "":
		c.error(http.StatusUnprocessableEntity, "Pull request is not open")
	case in.ExpectedHeadSHA != "" && in.ExpectedHeadSHA != head:
		c.error(http.StatusUnprocessableEntity, "expected head sha didn’t match current head ref.")
	case rp.ancestor(base, head):
		c.error(http.StatusUnprocessableEntity, "There are no new commits on the base branch.")
	default:
		sha := rp.putCommit(rp.putTree(rp.applyBranch(head, base)), "Merge branch '"+p.base+"' into "+p.head, head, base)
		rp.refs["heads/"+p.head] = sha
		c.json(http.StatusAccepted, map[string]string{"message": "Updating pull request branch.",
			"url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", rp.owner, rp.name, p.number)})
	}
}
