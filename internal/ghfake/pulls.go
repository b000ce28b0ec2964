package ghfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

func (f *Fake) pullJSON(rp *repo, p *pull) map[string]any {
	full, head := rp.owner+"/"+rp.name, p.headSHA
	if p.headRepo == "" {
		if sha := rp.refs["heads/"+p.head]; sha != "" {
			head = sha
		}
		p.headSHA = head
	}
	headRepo := cmp.Or(p.headRepo, full)
	owner, _, _ := strings.Cut(headRepo, "/")
	var mergedAt any
	if p.merged {
		mergedAt = stamp(p.mergedAt)
	}
	return map[string]any{
		"number": p.number, "state": p.state, "title": p.title, "body": p.body, "merged": p.merged,
		"html_url":         fmt.Sprintf("https://github.com/%s/%s/pull/%d", rp.owner, rp.name, p.number),
		"merge_commit_sha": p.mergeSHA, "updated_at": stamp(p.updatedAt), "merged_at": mergedAt,
		"head": map[string]any{"ref": p.head, "sha": head, "label": owner + ":" + p.head,
			"repo": map[string]string{"full_name": headRepo}},
		"base": map[string]any{"ref": p.base, "sha": rp.refs["heads/"+p.base], "label": rp.owner + ":" + p.base,
			"repo": map[string]string{"full_name": full}},
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

// listPulls is "List pull requests" (docs.github.com/rest/pulls/pulls
// #list-pull-requests): state open (default), closed or all; head
// "owner:branch" (the owner of the repository the branch is in, so a
// fork's branch of the same name does not match); sort created (default)
// or updated, direction desc by default for created and asc otherwise;
// per_page (default 30, at most 100) and page. Its items are the simple
// form, which has merged_at but no "merged".
func (f *Fake) listPulls(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	state, head := cmp.Or(c.query("state"), "open"), c.query("head")
	sortBy, dir := cmp.Or(c.query("sort"), "created"), c.query("direction")
	if dir == "" && sortBy == "created" {
		dir = "desc"
	}
	perPage, page, ok := pageParams(c)
	if !ok || !slices.Contains([]string{"open", "closed", "all"}, state) || !slices.Contains([]string{"created", "updated"}, sortBy) ||
		!slices.Contains([]string{"", "asc", "desc"}, dir) {
		c.error(http.StatusUnprocessableEntity, "Validation Failed")
		return
	}
	var kept []*pull
	for _, p := range rp.pulls {
		owner, _, _ := strings.Cut(cmp.Or(p.headRepo, rp.owner+"/"+rp.name), "/")
		if (state == "all" || p.state == state) && (head == "" || head == owner+":"+p.head) {
			kept = append(kept, p)
		}
	}
	slices.SortStableFunc(kept, func(a, b *pull) int {
		if sortBy == "updated" {
			return cmp.Compare(a.updated, b.updated)
		}
		return cmp.Compare(a.number, b.number)
	})
	if dir == "desc" {
		slices.Reverse(kept)
	}
	out := []map[string]any{}
	for i, p := range kept {
		if i >= (page-1)*perPage && i < page*perPage {
			item := f.pullJSON(rp, p)
			delete(item, "merged")
			out = append(out, item)
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
		if p.head == head && p.state == "open" && p.headRepo == "" {
			c.error(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "PullRequest",
				"code": "custom", "message": "A pull request already exists for " + rp.owner + ":" + head + "."})
			return
		}
	}
	p := &pull{number: len(rp.pulls) + 1, title: in.Title, body: in.Body, head: head, base: in.Base, state: "open"}
	rp.pulls = append(rp.pulls, p)
	f.touch(rp, p)
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
	f.touch(rp, p)
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
	f.touch(rp, p)
	p.mergedAt = p.updatedAt
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
