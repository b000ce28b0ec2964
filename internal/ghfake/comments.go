package ghfake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// comment is one issue comment: on GitHub a pull request's conversation
// comments are issue comments ("Issue comments",
// docs.github.com/en/rest/issues/comments).
type comment struct {
	id          int64
	issue       int
	body, login string
	bot         bool
}

func (f *Fake) commentRoutes() []route {
	return []route{
		{method: "GET", pattern: "repos/{owner}/{repo}/issues/{n}/comments", h: f.listComments},
		{method: "POST", pattern: "repos/{owner}/{repo}/issues/{n}/comments", h: f.createComment},
		{method: "PATCH", pattern: "repos/{owner}/{repo}/issues/comments/{id}", h: f.updateComment},
		{method: "DELETE", pattern: "repos/{owner}/{repo}/issues/comments/{id}", h: f.deleteComment},
	}
}

// commentJSON is a comment as the API shows it. A comment written through
// a GitHub App names it in performed_via_github_app: TfPilot's (AppID)
// for the comments the client writes, another App's for a bot's
// CommentAs (github-actions[bot], from a workflow's GITHUB_TOKEN).
func commentJSON(rp *repo, cm *comment) map[string]any {
	user := map[string]any{"login": cm.login, "id": userID(cm.login), "type": "User"}
	var via any
	switch {
	case cm.bot:
		user, via = appUser(), map[string]any{"id": AppID, "slug": strings.TrimSuffix(AppLogin, "[bot]")}
	case strings.HasSuffix(cm.login, "[bot]"):
		slug := strings.TrimSuffix(cm.login, "[bot]")
		user["type"], via = "Bot", map[string]any{"id": userID(slug), "slug": slug}
	}
	return map[string]any{"id": cm.id, "body": cm.body, "user": user, "performed_via_github_app": via,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", rp.owner, rp.name, cm.issue, cm.id)}
}

// listComments answers the first page of an issue's comments, oldest
// first, as GitHub does (per_page up to 100; more pages are not modelled).
func (f *Fake) listComments(c *call) {
	rp := c.repo()
	if rp == nil || c.pull(rp) == nil {
		return
	}
	n, _ := c.intParam("n")
	out := []map[string]any{}
	for _, cm := range rp.comments {
		if int64(cm.issue) == n && len(out) < 100 {
			out = append(out, commentJSON(rp, cm))
		}
	}
	c.json(http.StatusOK, out)
}

func (f *Fake) createComment(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	p := c.pull(rp)
	if p == nil {
		return
	}
	var in struct{ Body string }
	if !c.decode(&in) {
		return
	}
	if in.Body == "" {
		c.error(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "IssueComment", "field": "body", "code": "missing_field"})
		return
	}
	f.nextID++
	cm := &comment{id: f.nextID, issue: p.number, body: in.Body, login: AppLogin, bot: true}
	rp.comments = append(rp.comments, cm)
	c.json(http.StatusCreated, commentJSON(rp, cm))
}

func (c *call) comment(rp *repo) (*comment, int) {
	id, ok := c.intParam("id")
	if !ok {
		return nil, -1
	}
	i := slices.IndexFunc(rp.comments, func(cm *comment) bool { return cm.id == id })
	if i < 0 {
		c.error(http.StatusNotFound, "Not Found")
		return nil, -1
	}
	return rp.comments[i], i
}

// updateComment edits a comment. The app may edit its own comments; a
// person's comment it may not (GitHub answers 403 to an integration
// editing a comment it did not write without admin rights).
func (f *Fake) updateComment(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	cm, _ := c.comment(rp)
	if cm == nil {
		return
	}
	if !cm.bot {
		c.error(http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	var in struct{ Body string }
	if !c.decode(&in) {
		return
	}
	cm.body = in.Body
	c.json(http.StatusOK, commentJSON(rp, cm))
}

func (f *Fake) deleteComment(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	if _, i := c.comment(rp); i >= 0 {
		rp.comments = slices.Delete(rp.comments, i, i+1)
		c.noContent()
	}
}

// Comments returns the bodies of pull request n's comments, oldest first.
func (f *Fake) Comments(repoName string, n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, cm := range f.mustRepo(repoName).comments {
		if cm.issue == n {
			out = append(out, cm.body)
		}
	}
	return out
}

// CommentAs adds a comment by login to pull request n, as someone writing
// in the conversation would; a login ending in "[bot]" is another App's
// bot user (github-actions[bot] commenting from a workflow).
func (f *Fake) CommentAs(repoName string, n int, login, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(repoName)
	f.nextID++
	rp.comments = append(rp.comments, &comment{id: f.nextID, issue: n, body: body, login: login})
}

// DeleteComments deletes every comment of pull request n (someone tidying
// the conversation).
func (f *Fake) DeleteComments(repoName string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(repoName)
	rp.comments = slices.DeleteFunc(rp.comments, func(cm *comment) bool { return cm.issue == n })
}
