package ghfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

func (f *Fake) table() []route {
	return []route{
		{method: "POST", pattern: "app/installations/{id}/access_tokens", h: f.accessToken},
		{method: "GET", pattern: "repos/{owner}/{repo}/branches/{*}", h: f.getBranch},
		{method: "GET", pattern: "repos/{owner}/{repo}/git/ref/{*}", h: f.getRef},
		{method: "POST", pattern: "repos/{owner}/{repo}/git/refs", h: f.createRef},
		{method: "PATCH", pattern: "repos/{owner}/{repo}/git/refs/{*}", h: f.updateRef},
		{method: "DELETE", pattern: "repos/{owner}/{repo}/git/refs/{*}", h: f.deleteRef},
		{method: "GET", pattern: "repos/{owner}/{repo}/git/commits/{sha}", h: f.getCommit},
		{method: "GET", pattern: "repos/{owner}/{repo}/commits/{sha}", h: f.getRepoCommit},
		{method: "POST", pattern: "repos/{owner}/{repo}/git/commits", h: f.createCommit},
		{method: "GET", pattern: "repos/{owner}/{repo}/git/trees/{sha}", h: f.getTree},
		{method: "POST", pattern: "repos/{owner}/{repo}/git/trees", h: f.createTree},
		{method: "GET", pattern: "repos/{owner}/{repo}/git/blobs/{sha}", h: f.getBlob},
		{method: "GET", pattern: "repos/{owner}/{repo}/pulls", h: f.listPulls},
		{method: "POST", pattern: "repos/{owner}/{repo}/pulls", h: f.createPull},
		{method: "GET", pattern: "repos/{owner}/{repo}/pulls/{n}", h: f.getPull},
		{method: "PATCH", pattern: "repos/{owner}/{repo}/pulls/{n}", h: f.editPull},
		{method: "PUT", pattern: "repos/{owner}/{repo}/pulls/{n}/merge", h: f.mergePull},
		{method: "PUT", pattern: "repos/{owner}/{repo}/pulls/{n}/update-branch", h: f.updateBranch},
		{method: "POST", pattern: "repos/{owner}/{repo}/actions/workflows/{file}/dispatches", h: f.dispatch},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/workflows/{file}/runs", h: f.listWorkflowRuns},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/runs", h: f.listRuns},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/runs/{id}", h: f.getRun},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/runs/{id}/jobs", h: f.listJobs},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/jobs/{id}/logs", h: f.jobLogs},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/runs/{id}/artifacts", h: f.listArtifacts},
		{method: "GET", pattern: "repos/{owner}/{repo}/actions/artifacts/{id}/zip", h: f.artifactZip},
		{method: "GET", pattern: "_download/jobs/{id}", download: true, h: f.downloadLog},
		{method: "GET", pattern: "_download/artifacts/{id}", download: true, h: f.downloadArtifact},
	}
}

func (f *Fake) accessToken(c *call) {
	tok := fmt.Sprintf("ghs_fakeinstallation%020d", f.nextID)
	f.nextID++
	f.tokens[tok] = true
	c.json(http.StatusCreated, map[string]any{"token": tok, "expires_at": f.now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

func commitJSON(cm *commit) map[string]any {
	parents := []map[string]string{}
	for _, p := range cm.parents {
		parents = append(parents, map[string]string{"sha": p})
	}
	return map[string]any{"sha": cm.sha, "message": cm.message, "tree": map[string]string{"sha": cm.tree}, "parents": parents}
}

func (f *Fake) getBranch(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	name := c.params["*"]
	sha, ok := rp.refs["heads/"+name]
	if !ok {
		c.error(http.StatusNotFound, "Branch not found")
		return
	}
	cm := rp.commits[sha]
	c.json(http.StatusOK, map[string]any{"name": name, "protected": false,
		"commit": map[string]any{"sha": sha, "commit": map[string]any{"message": cm.message, "tree": map[string]string{"sha": cm.tree}}}})
}

func refJSON(ref, sha string) map[string]any {
	return map[string]any{"ref": "refs/" + ref, "object": map[string]string{"sha": sha, "type": "commit"}}
}

func (f *Fake) getRef(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	sha, ok := rp.refs[c.params["*"]]
	if !ok {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	c.json(http.StatusOK, refJSON(c.params["*"], sha))
}

func (f *Fake) createRef(c *call) {
	rp := c.repo()
	var in struct{ Ref, SHA string }
	if rp == nil || !c.decode(&in) {
		return
	}
	if !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 {
		c.error(http.StatusUnprocessableEntity, "Reference name is invalid")
		return
	}
	ref := splitRef(in.Ref)
	if _, ok := rp.refs[ref]; ok {
		c.error(http.StatusUnprocessableEntity, "Reference already exists")
		return
	}
	if rp.commits[in.SHA] == nil {
		c.error(http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	rp.refs[ref] = in.SHA
	f.noteRefCreated(rp, ref)
	c.json(http.StatusCreated, refJSON(ref, in.SHA))
}

func (f *Fake) updateRef(c *call) {
	rp := c.repo()
	var in struct {
		SHA   string
		Force bool
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	ref := c.params["*"]
	old, ok := rp.refs[ref]
	switch {
	case !ok:
		c.error(http.StatusUnprocessableEntity, "Reference does not exist")
	case rp.commits[in.SHA] == nil:
		c.error(http.StatusUnprocessableEntity, "Object does not exist")
	case !in.Force && !rp.ancestor(old, in.SHA):
		c.error(http.StatusUnprocessableEntity, "Update is not a fast forward")
	default:
		rp.refs[ref] = in.SHA
		c.json(http.StatusOK, refJSON(ref, in.SHA))
	}
}

// ancestor reports whether a is reachable from b through any parents.
func (rp *repo) ancestor(a, b string) bool {
	seen := map[string]bool{}
	stack := []string{b}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == a {
			return true
		}
		if seen[s] || rp.commits[s] == nil {
			continue
		}
		seen[s] = true
		stack = append(stack, rp.commits[s].parents...)
	}
	return false
}

func (f *Fake) deleteRef(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	ref := c.params["*"]
	if _, ok := rp.refs[ref]; !ok {
		c.error(http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	delete(rp.refs, ref)
	for _, p := range rp.pulls { // GitHub closes open PRs whose head is deleted
		if "heads/"+p.head == ref && p.state == "open" && p.headRepo == "" {
			p.state = "closed"
			f.touch(rp, p)
		}
	}
	c.noContent()
}

func (f *Fake) getCommit(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	cm := rp.commits[c.params["sha"]]
	if cm == nil {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	c.json(http.StatusOK, commitJSON(cm))
}

// AppLogin is the author GitHub shows for commits the app made through the API.
const AppLogin = "tfpilot[bot]"

// getRepoCommit answers GET /repos/{owner}/{repo}/commits/{ref}: the commit
// with its git data and the GitHub account of its author.
func (f *Fake) getRepoCommit(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	cm := rp.commits[c.params["sha"]]
	if cm == nil {
		c.error(http.StatusUnprocessableEntity, "No commit found for SHA: "+c.params["sha"])
		return
	}
	login := cm.author
	if login == "" {
		login = AppLogin
	}
	person := map[string]any{"name": login, "email": login + "@users.noreply.github.com", "date": f.now().UTC().Format(time.RFC3339)}
	var account any = map[string]any{"login": login, "type": "User"}
	if cm.gitName != "" { // no account has the commit's email: GitHub's "author" is null
		person = map[string]any{"name": cm.gitName, "email": "someone@example.invalid", "date": f.now().UTC().Format(time.RFC3339)}
		account = nil
	}
	git := commitJSON(cm)
	delete(git, "sha")
	delete(git, "parents")
	git["author"], git["committer"] = person, person
	c.json(http.StatusOK, map[string]any{"sha": cm.sha, "commit": git, "author": account, "committer": account,
		"parents": commitJSON(cm)["parents"]})
}

func (f *Fake) createCommit(c *call) {
	rp := c.repo()
	var in struct {
		Message string
		Tree    string
		Parents []string
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	if _, ok := rp.trees[in.Tree]; !ok || in.Message == "" {
		c.error(http.StatusUnprocessableEntity, "Tree SHA does not exist")
		return
	}
	for _, p := range in.Parents {
		if rp.commits[p] == nil {
			c.error(http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object")
			return
		}
	}
	c.json(http.StatusCreated, commitJSON(rp.commits[rp.putCommit(in.Tree, in.Message, in.Parents...)]))
}

// treeEntries lists t as GitHub does: every blob and, recursively, every
// folder (recursive) or only the top level.
func treeEntries(rp *repo, t map[string]string, recursive bool) []map[string]any {
	dirs := map[string]bool{}
	var out []map[string]any
	for _, p := range slices.Sorted(maps.Keys(t)) {
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/")
			if !dirs[d] && (recursive || i == 1) {
				dirs[d] = true
				out = append(out, map[string]any{"path": d, "mode": "040000", "type": "tree", "sha": BlobSHA([]byte("dir " + d))})
			}
		}
		if recursive || len(parts) == 1 {
			out = append(out, map[string]any{"path": p, "mode": "100644", "type": "blob", "sha": t[p], "size": len(rp.blobs[t[p]])})
		}
	}
	return out
}

func (f *Fake) getTree(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	t, ok := rp.trees[c.params["sha"]]
	if !ok {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	c.json(http.StatusOK, map[string]any{"sha": c.params["sha"], "truncated": false,
		"tree": treeEntries(rp, t, c.query("recursive") != "")})
}

func (f *Fake) createTree(c *call) {
	rp := c.repo()
	var in struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path, Mode, Type string
			Content          *string
			SHA              json.RawMessage
		}
	}
	if rp == nil || !c.decode(&in) {
		return
	}
	t := map[string]string{}
	if in.BaseTree != "" {
		base, ok := rp.trees[in.BaseTree]
		if !ok {
			c.error(http.StatusUnprocessableEntity, "base_tree is not a valid tree oid")
			return
		}
		t = maps.Clone(base)
	}
	for _, e := range in.Tree {
		if e.Mode != "100644" || e.Type != "blob" || e.Path == "" || strings.HasPrefix(e.Path, "/") {
			c.error(http.StatusUnprocessableEntity, "tree entry is invalid: "+e.Path)
			return
		}
		switch {
		case e.Content != nil && e.SHA != nil:
			c.error(http.StatusUnprocessableEntity, "Must supply either tree.sha or tree.content, not both")
			return
		case e.Content != nil:
			t[e.Path] = rp.putBlob([]byte(*e.Content))
		case string(e.SHA) == "null":
			delete(t, e.Path)
		default:
			var sha string
			if json.Unmarshal(e.SHA, &sha) != nil || rp.blobs[sha] == nil {
				c.error(http.StatusUnprocessableEntity, "tree.sha is not a blob")
				return
			}
			t[e.Path] = sha
		}
	}
	sha := rp.putTree(t)
	c.json(http.StatusCreated, map[string]any{"sha": sha, "truncated": false, "tree": treeEntries(rp, t, false)})
}

func (f *Fake) getBlob(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	b, ok := rp.blobs[c.params["sha"]]
	if !ok {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	c.json(http.StatusOK, map[string]any{"sha": c.params["sha"], "size": len(b), "encoding": "base64",
		"content": base64.StdEncoding.EncodeToString(b)})
}
