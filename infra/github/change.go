package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// OpenChange makes branch spec.Branch from the base branch with one commit
// holding every file of the change, and a pull request, or returns the ones
// a previous attempt made. On a fresh request it costs 7 calls: GET base
// branch, GET ref (404), GET base tree (cached by SHA; it detects a path that
// already exists on base with other content), POST tree, POST commit, POST
// ref, POST pull. A 422 "already exists" from a ref or pull is success.
//
// An existing branch is kept only while it is TfPilot's one commit on the
// current base head carrying exactly the change. Otherwise — inputs edited,
// the base moved, someone pushed to the branch — the commit is built again
// on the current base and the branch force-updated: TfPilot owns the
// tfpilot/* branches, and a re-plan replaces a push by hand, so that what
// is planned is what would merge.
//
// With spec.AtBase (the pull request was merged by hand before its apply)
// the branch is only pointed at the base head: see branchAtBase.
func (c *Client) OpenChange(ctx context.Context, spec flow.ChangeSpec) (flow.Change, error) {
	r, err := c.repo(spec.Project)
	if err != nil {
		return flow.Change{}, err
	}
	if spec.Branch == "" || len(spec.Files) == 0 && !spec.AtBase {
		return flow.Change{}, fmt.Errorf("open change for %s: no branch or no files", spec.RequestID)
	}
	defer c.lockRepo(r)()
	ctx = retryWrites(ctx) // every POST below is re-checked or harmless when repeated
	if spec.AtBase {
		return c.branchAtBase(ctx, r, spec.Branch)
	}

	baseSHA, baseTree, err := c.branchHead(ctx, r, r.BaseBranch)
	if err != nil {
		return flow.Change{}, err
	}
	ch := flow.Change{Branch: spec.Branch, BaseSHA: baseSHA}
	head, err := c.refHead(ctx, r, spec.Branch, false)
	fresh := false
	switch {
	case err == nil:
		ch.HeadSHA, err = c.reuseBranch(ctx, r, spec, head, baseSHA, baseTree)
	case errors.Is(err, flow.ErrNotFound):
		ch.HeadSHA, fresh, err = c.createBranch(ctx, r, spec, baseSHA, baseTree)
	}
	if err != nil {
		return flow.Change{}, err
	}
	c.noteBranch(r, spec.Branch, func(n *branchNote) { n.head = ch.HeadSHA })
	pr, err := c.ensurePull(ctx, r, spec, fresh)
	if err != nil {
		return flow.Change{}, err
	}
	ch.Number, ch.URL = pr.GetNumber(), pr.GetHTMLURL()
	return ch, nil
}

// branchHead returns a branch's head commit and tree (conditional GET).
func (c *Client) branchHead(ctx context.Context, r Repo, branch string) (string, string, error) {
	var b gh.Branch
	if _, resp, err := c.get(ctx, repoPath(r, "branches/%s", escapeRef(branch)), &b, true); err != nil {
		return "", "", mapErr(fmt.Sprintf("read branch %s of %s", branch, r), permContentsRead, resp, err)
	}
	return b.GetCommit().GetSHA(), b.GetCommit().GetCommit().GetTree().GetSHA(), nil
}

// refHead returns the commit a branch points at; flow.ErrNotFound if none.
func (c *Client) refHead(ctx context.Context, r Repo, branch string, conditional bool) (string, error) {
	var ref gh.Reference
	if _, resp, err := c.get(ctx, repoPath(r, "git/ref/heads/%s", escapeRef(branch)), &ref, conditional); err != nil {
		return "", mapErr(fmt.Sprintf("read branch %s of %s", branch, r), permContentsRead, resp, err)
	}
	return ref.GetObject().GetSHA(), nil
}

// createBranch writes the tree, the commit and the ref. It reports whether
// this call created the ref (so no pull request can exist for it yet).
func (c *Client) createBranch(ctx context.Context, r Repo, spec flow.ChangeSpec, baseSHA, baseTree string) (string, bool, error) {
	commit, err := c.buildCommit(ctx, r, spec, baseSHA, baseTree)
	if err != nil {
		return "", false, err
	}
	body := map[string]string{"ref": "refs/heads/" + spec.Branch, "sha": commit}
	resp, err := c.send(ctx, "POST", repoPath(r, "git/refs"), body, nil)
	if err == nil {
		c.noteBranch(r, spec.Branch, func(n *branchNote) { n.created = c.now() })
		return commit, true, nil
	}
	if !hasMessage(err, "Reference already exists") {
		return "", false, mapErr("create branch "+spec.Branch, permContentsWrite, resp, err)
	}
	// A concurrent attempt, or our own first attempt whose answer was lost.
	head, err := c.refHead(ctx, r, spec.Branch, false)
	if err != nil {
		return "", false, err
	}
	if head == commit { // ours: the retried POST found it
		c.noteBranch(r, spec.Branch, func(n *branchNote) { n.created = c.now() })
	}
	return head, head == commit, nil
}

// buildCommit writes the change's one commit on the base head: a tree on
// the base tree holding every file change, and a commit whose only parent is
// the base head. It refuses a file that exists on base with other content
// (another request's label) and the deletion of a file base does not have.
func (c *Client) buildCommit(ctx context.Context, r Repo, spec flow.ChangeSpec, baseSHA, baseTree string) (string, error) {
	base, err := c.tree(ctx, r, baseTree)
	if err != nil {
		return "", err
	}
	for _, f := range spec.Files {
		sha, ok := base.blobs[f.Path]
		switch {
		case f.Delete && !ok:
			return "", fmt.Errorf("open change for %s: %s is not on %s, so there is nothing to delete: %w",
				spec.RequestID, f.Path, r.BaseBranch, flow.ErrNotFound)
		case !f.Delete && ok && sha != blobSHA(f.Content):
			return "", fmt.Errorf("open change for %s: %s already exists on %s with different content: %w",
				spec.RequestID, f.Path, r.BaseBranch, flow.ErrConflict)
		}
	}
	tree, err := c.createTree(ctx, r, baseTree, spec.Files)
	if err != nil {
		return "", err
	}
	return c.createCommit(ctx, r, commitMessage(spec), tree, baseSHA)
}

// reuseBranch takes over a branch an earlier attempt made. If its head is
// one commit on the current base head whose tree is the base tree with the
// change applied, it is left alone (GET commit, GET tree; trees cached by
// SHA). Otherwise the one commit is built again on the current base and the
// ref force-updated (PATCH git/refs/heads/<branch>, force: true).
func (c *Client) reuseBranch(ctx context.Context, r Repo, spec flow.ChangeSpec, head, baseSHA, baseTree string) (string, error) {
	var hc gh.Commit
	if _, resp, err := c.get(ctx, repoPath(r, "git/commits/%s", head), &hc, false); err != nil {
		return "", mapErr("read commit "+head, permContentsRead, resp, err)
	}
	if p := hc.Parents; len(p) == 1 && p[0].GetSHA() == baseSHA {
		current, err := c.onBase(ctx, r, spec, hc.GetTree().GetSHA(), baseTree)
		if err != nil || current {
			return head, err
		}
	}
	commit, err := c.buildCommit(ctx, r, spec, baseSHA, baseTree)
	if err != nil {
		return "", err
	}
	return commit, c.moveBranch(ctx, r, spec.Branch, commit)
}

// onBase reports whether tree is the base tree with exactly spec's file
// changes applied: nothing else added, changed or removed.
func (c *Client) onBase(ctx context.Context, r Repo, spec flow.ChangeSpec, tree, baseTree string) (bool, error) {
	t, err := c.tree(ctx, r, tree)
	if err != nil {
		return false, err
	}
	if !t.satisfies(spec.Files) {
		return false, nil
	}
	base, err := c.tree(ctx, r, baseTree)
	if err != nil {
		return false, err
	}
	changed := make(map[string]bool, len(spec.Files))
	for _, f := range spec.Files {
		changed[f.Path] = true
	}
	for p, sha := range t.blobs {
		if !changed[p] && base.blobs[p] != sha {
			return false, nil
		}
	}
	for p := range base.blobs {
		if _, ok := t.blobs[p]; !ok && !changed[p] {
			return false, nil
		}
	}
	return true, nil
}

func commitMessage(spec flow.ChangeSpec) string {
	return fmt.Sprintf("%s\n\nTfPilot request %s", spec.Title, spec.RequestID)
}

// ensurePull returns the open pull request of the branch, creating it if
// needed. A branch this call created cannot have one, so the list is skipped.
func (c *Client) ensurePull(ctx context.Context, r Repo, spec flow.ChangeSpec, fresh bool) (*gh.PullRequest, error) {
	if !fresh {
		if pr, err := c.findPull(ctx, r, spec.Branch); err != nil || pr != nil {
			return pr, err
		}
	}
	body := map[string]any{"title": spec.Title, "head": spec.Branch, "base": r.BaseBranch, "body": spec.Body}
	var pr gh.PullRequest
	resp, err := c.send(ctx, "POST", repoPath(r, "pulls"), body, &pr)
	if err == nil {
		return &pr, nil
	}
	if !hasMessage(err, "pull request already exists") {
		return nil, mapErr("open pull request for "+spec.Branch, permPullsWrite, resp, err)
	}
	found, err := c.findPull(ctx, r, spec.Branch)
	if err == nil && found == nil {
		err = fmt.Errorf("open pull request for %s: GitHub says one exists but lists none: %w", spec.Branch, flow.ErrTransient)
	}
	return found, err
}

// findPull returns the open pull request whose head is branch, or nil.
func (c *Client) findPull(ctx context.Context, r Repo, branch string) (*gh.PullRequest, error) {
	var prs []*gh.PullRequest
	path := repoPath(r, "pulls?state=open&head=%s", escapeQuery(r.Owner+":"+branch))
	if _, resp, err := c.get(ctx, path, &prs, false); err != nil {
		return nil, mapErr("find pull request for "+branch, permPullsWrite, resp, err)
	}
	if len(prs) == 0 {
		return nil, nil
	}
	return prs[0], nil
}

// ChangeStatus reports the branch head and the base branch head now, or
// that the pull request was closed or merged on GitHub (Closed, Merged)
// without them: three conditional GETs (unchanged ones answer 304). A
// change merged already (its branch re-made at the base: AtBase) has no
// pull request to read: its branch and base heads are reported.
func (c *Client) ChangeStatus(ctx context.Context, project string, ch flow.Change) (flow.Change, error) {
	r, err := c.repo(project)
	if err != nil {
		return ch, err
	}
	if ch.Number != 0 && !ch.Merged {
		// Someone may have closed or merged the pull request on GitHub
		// (the branch may be gone with it); a conditional read is free
		// while nothing changed.
		var pr gh.PullRequest
		if _, resp, err := c.get(ctx, repoPath(r, "pulls/%d", ch.Number), &pr, true); err != nil {
			return ch, mapErr(fmt.Sprintf("read #%d", ch.Number), permPullsWrite, resp, err)
		}
		if pr.GetState() == "closed" {
			ch.Closed, ch.Merged = true, pr.GetMerged()
			return ch, nil
		}
	}
	head, err := c.refHead(ctx, r, ch.Branch, true)
	if err != nil {
		return ch, err
	}
	base, _, err := c.branchHead(ctx, r, r.BaseBranch)
	if err != nil {
		return ch, err
	}
	c.noteBranch(r, ch.Branch, func(n *branchNote) { n.head = head })
	ch.HeadSHA, ch.BaseSHA = head, base
	return ch, nil
}

// CommitAuthor names who made commit sha: the GitHub login of its author,
// or, when GitHub links the commit to no account, the git author name marked
// "(unverified git author)": anyone can write any name into a commit, so it
// must not read as a GitHub identity. One call (commits never change, so a
// cached answer is revalidated for free).
func (c *Client) CommitAuthor(ctx context.Context, project, sha string) (string, error) {
	r, err := c.repo(project)
	if err != nil {
		return "", err
	}
	var cm gh.RepositoryCommit
	if _, resp, err := c.get(ctx, repoPath(r, "commits/%s", sha), &cm, true); err != nil {
		return "", mapErr("read commit "+sha, permContentsRead, resp, err)
	}
	if login := cm.GetAuthor().GetLogin(); login != "" {
		return login, nil
	}
	if name := cm.GetCommit().GetAuthor().GetName(); name != "" {
		return name + " (unverified git author)", nil
	}
	return "", nil
}

// MergeChange squash-merges the pull request (pinned to ch.HeadSHA) and
// deletes the branch: 3 calls. If the base moved since ch.BaseSHA it updates
// the branch instead and returns flow.ErrStale; a head that moved is stale
// too. A pull request that is already merged is success. GitHub's transient
// 405 "Base branch was modified" is flow.ErrTransient, any other 405 or 422
// a *flow.MergeRefusedError. A change already Merged (by hand, its branch
// re-made at the base to plan and apply it) has nothing to merge: its
// branch is deleted (1 call; gone already is fine).
func (c *Client) MergeChange(ctx context.Context, project string, ch flow.Change) (flow.Change, error) {
	r, err := c.repo(project)
	if err != nil {
		return ch, err
	}
	defer c.lockRepo(r)()
	if ch.Merged {
		return ch, c.deleteBranch(ctx, r, ch.Branch)
	}
	if ch.Number == 0 {
		return ch, fmt.Errorf("merge %s: no pull request number: %w", ch.Branch, flow.ErrNotFound)
	}
	base, _, err := c.branchHead(ctx, r, r.BaseBranch)
	if err != nil {
		return ch, err
	}
	relevant := false
	if ch.BaseSHA != "" && base != ch.BaseSHA {
		if relevant, err = c.movedUnder(ctx, r, ch, base); err != nil {
			return ch, err
		}
	}
	if relevant {
		err := c.updateBranch(ctx, r, ch, base)
		if !errors.Is(err, errMerged) {
			return ch, err
		}
		ch.Merged = true // the base moved because an earlier attempt merged it
		return ch, c.deleteBranch(ctx, r, ch.Branch)
	}
	body := map[string]any{"merge_method": "squash", "sha": ch.HeadSHA}
	resp, err := c.send(ctx, "PUT", repoPath(r, "pulls/%d/merge", ch.Number), body, nil)
	if err != nil {
		status, msg := statusOf(resp, err)
		switch {
		case status == http.StatusConflict:
			return ch, fmt.Errorf("merge #%d: the branch head moved after the plan (%s): %w", ch.Number, msg, flow.ErrStale)
		case status == http.StatusMethodNotAllowed && strings.Contains(strings.ToLower(msg), baseModified):
			// A race, not a refusal: the base moved while GitHub merged.
			// Trying again (which reads the base afresh) is what GitHub asks.
			return ch, fmt.Errorf("merge #%d: %s: %w", ch.Number, msg, flow.ErrTransient)
		case status != http.StatusMethodNotAllowed && status != http.StatusUnprocessableEntity:
			return ch, mapErr(fmt.Sprintf("merge #%d", ch.Number), permContentsWrite, resp, err)
		}
		if merged, err := c.merged(ctx, r, ch.Number); err != nil || !merged {
			if err == nil {
				err = fmt.Errorf("merge #%d: %w", ch.Number, &flow.MergeRefusedError{Reason: refusalReason(ch.Number, msg)})
			}
			return ch, err
		}
	}
	ch.Merged = true
	return ch, c.deleteBranch(ctx, r, ch.Branch)
}

// baseModified is the start of the 405 GitHub's merge endpoint answers when
// the base branch moved during the merge: "Base branch was modified. Review
// and try the merge again." The endpoint's page (docs.github.com/rest/pulls/
// pulls#merge-a-pull-request) documents only "405 if merge cannot be
// performed", but this one passes: a retry merges (github.community,
// "Merging via REST API returns 405 Base branch was modified"). Every other
// 405 (branch protection, a required review or check) is a refusal.
const baseModified = "base branch was modified"

// refusalReason is what people read of GitHub's refusal to merge pull
// request n (405: not mergeable, branch protection, a required review or
// check; 422: a closed pull request or an invalid request).
func refusalReason(n int, msg string) string {
	if msg == "" {
		msg = "no reason given"
	}
	return fmt.Sprintf("GitHub refused to merge pull request #%d: %s", n, msg)
}

// errMerged says the pull request is already merged.
var errMerged = errors.New("already merged")

// merged reports whether pull request n is merged (an earlier attempt may
// have merged it and lost the answer).
func (c *Client) merged(ctx context.Context, r Repo, n int) (bool, error) {
	var pr gh.PullRequest
	if _, resp, err := c.get(ctx, repoPath(r, "pulls/%d", n), &pr, false); err != nil {
		return false, mapErr(fmt.Sprintf("read #%d", n), permPullsWrite, resp, err)
	}
	return pr.GetMerged(), nil
}

// updateBranch merges the moved base into the branch and returns the
// ErrStale that tells the engine to plan again (errMerged if it turns out
// the pull request was merged already).
func (c *Client) updateBranch(ctx context.Context, r Repo, ch flow.Change, base string) error {
	body := map[string]any{"expected_head_sha": ch.HeadSHA}
	resp, err := c.send(ctx, "PUT", repoPath(r, "pulls/%d/update-branch", ch.Number), body, nil)
	var accepted *gh.AcceptedError
	if err != nil && !errors.As(err, &accepted) && !hasMessage(err, "no new commits") {
		if status, _ := statusOf(resp, err); status == http.StatusUnprocessableEntity {
			if merged, err2 := c.merged(ctx, r, ch.Number); err2 == nil && merged {
				return errMerged
			}
		}
		return mapErr(fmt.Sprintf("update branch of #%d", ch.Number), permContentsWrite, resp, err)
	}
	c.noteBranch(r, ch.Branch, func(n *branchNote) { n.head = "" }) // moves asynchronously
	return fmt.Errorf("merge #%d: %s moved from %.7s to %.7s after the plan; the branch was updated, plan again: %w",
		ch.Number, r.BaseBranch, ch.BaseSHA, base, flow.ErrStale)
}

// CloseChange closes the pull request and deletes the branch; both are
// success when already done. A change merged by hand has no pull request
// left to close: only its re-made branch is deleted.
func (c *Client) CloseChange(ctx context.Context, project string, ch flow.Change) error {
	r, err := c.repo(project)
	if err != nil {
		return err
	}
	defer c.lockRepo(r)()
	n := ch.Number
	if n == 0 && !ch.Merged {
		pr, err := c.findPull(ctx, r, ch.Branch)
		if err != nil {
			return err
		}
		n = pr.GetNumber()
	}
	if n != 0 && !ch.Merged { // merged by hand: only the re-made branch is left
		resp, err := c.send(ctx, "PATCH", repoPath(r, "pulls/%d", n), map[string]string{"state": "closed"}, nil)
		if err != nil {
			return mapErr(fmt.Sprintf("close #%d", n), permPullsWrite, resp, err)
		}
	}
	return c.deleteBranch(ctx, r, ch.Branch)
}

// deleteBranch deletes a request branch; a branch already gone is success.
func (c *Client) deleteBranch(ctx context.Context, r Repo, branch string) error {
	resp, err := c.send(ctx, "DELETE", repoPath(r, "git/refs/heads/%s", escapeRef(branch)), nil, nil)
	if err == nil || hasMessage(err, "Reference does not exist") {
		return nil
	}
	if status, _ := statusOf(resp, err); status == http.StatusNotFound {
		return nil
	}
	return mapErr("delete branch "+branch, permContentsWrite, resp, err)
}

// maxCompareFiles is the most files GitHub's compare answer lists; a longer
// list is cut, so what it leaves out cannot be judged.
const maxCompareFiles = 300

// BaseMoves implements flow.Repo with GitHub's compare of the two commits
// (one conditional call: a 304 while the answer is cached). The base
// branch must have moved forward from from to to ("ahead" or "identical"):
// a base rewritten since (a force-push) is an error, since the files of a
// three-dot compare would leave out what the rewrite dropped. A list cut
// at GitHub's 300 files is an error too.
func (c *Client) BaseMoves(ctx context.Context, project, from, to string) ([]string, error) {
	r, err := c.repo(project)
	if err != nil {
		return nil, err
	}
	var cmp gh.CommitsComparison
	if _, resp, err := c.get(ctx, repoPath(r, "compare/%s...%s", from, to), &cmp, true); err != nil {
		return nil, mapErr("compare "+r.BaseBranch+" at "+flow.ShortSHA(from)+" with "+flow.ShortSHA(to), permContentsRead, resp, err)
	}
	switch st := cmp.GetStatus(); {
	case st != "ahead" && st != "identical":
		return nil, fmt.Errorf("compare %s at %s with %s: the base branch did not move forward (%s): it was rewritten", r.BaseBranch, flow.ShortSHA(from), flow.ShortSHA(to), st)
	case len(cmp.Files) >= maxCompareFiles:
		return nil, fmt.Errorf("compare %s at %s with %s: %d files or more changed, more than GitHub lists", r.BaseBranch, flow.ShortSHA(from), flow.ShortSHA(to), maxCompareFiles)
	}
	var out []string
	for _, f := range cmp.Files {
		for _, name := range []string{f.GetFilename(), f.GetPreviousFilename()} {
			if name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// movedUnder reports whether the base moved since ch was built in a way
// that matters to it: a commit since ch.BaseSHA touched a folder the
// change writes to (its environment root) or modules/, which every root
// plans from. Then the plan no longer describes what merging would put in
// the base. A base that moved elsewhere (another environment's request
// merged) is merged across: the squash carries only this change's commit,
// so a busy repository with several environments never sends an applied
// request back to be planned, approved and applied again. Two conditional
// "Compare two commits" calls
// (docs.github.com/en/rest/commits/commits#compare-two-commits).
func (c *Client) movedUnder(ctx context.Context, r Repo, ch flow.Change, base string) (bool, error) {
	var own, moved gh.CommitsComparison
	if _, resp, err := c.get(ctx, repoPath(r, "compare/%s...%s", ch.BaseSHA, ch.HeadSHA), &own, true); err != nil {
		return false, mapErr("compare "+ch.Branch+" with its base", permContentsRead, resp, err)
	}
	if _, resp, err := c.get(ctx, repoPath(r, "compare/%s...%s", ch.BaseSHA, base), &moved, true); err != nil {
		return false, mapErr("compare "+r.BaseBranch+" with where "+ch.Branch+" was built", permContentsRead, resp, err)
	}
	if len(own.Files) >= maxCompareFiles || len(moved.Files) >= maxCompareFiles {
		return true, nil
	}
	dirs := map[string]bool{}
	for _, f := range own.Files {
		dirs[path.Dir(f.GetFilename())] = true
	}
	for _, f := range moved.Files {
		for _, name := range []string{f.GetFilename(), f.GetPreviousFilename()} {
			if _, _, ok := registry.RequestFile(name); ok && !slices.ContainsFunc(own.Files, func(o *gh.CommitFile) bool { return o.GetFilename() == name }) {
				continue // another request's file: its own module block, applied by its own request
			}
			if name != "" && (strings.HasPrefix(name, "modules/") || dirs[path.Dir(name)]) {
				return true, nil
			}
		}
	}
	return false, nil
}
