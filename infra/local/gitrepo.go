package local

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// GitRepo is a local git repository used as a project's environment
// repository: it implements flow.Repo and flow.Catalogs with the git CLI.
//
// A change is a real branch tfpilot/<id> holding one commit on the base
// branch; its "pull request" is a number kept in .git/tfpilot/changes.json.
// Commits are built with plumbing (hash-object, a scratch index, write-tree,
// commit-tree, update-ref), so opening a change never touches the working
// tree. Merging advances the base branch with a merge commit (--no-ff), so
// every request stays visible in `git log`; when the base branch is checked
// out, the working tree is fast-forwarded as `git merge --ff-only` would.
//
// GitRepo serves one repository whatever the project name: local mode has
// one project. Its methods are safe for concurrent use within one process.
type GitRepo struct {
	dir      string // working tree (or the repository itself when bare)
	base     string // base branch name
	stateDir string // <git dir>/tfpilot: change book, scratch indexes

	mu sync.Mutex // serialises ref updates and the change book

	catMu  sync.Mutex
	catSHA string
	cat    *registry.Catalog
}

// NewGitRepo opens the repository at dir whose base branch is baseBranch.
// The branch must exist.
func NewGitRepo(dir, baseBranch string) (*GitRepo, error) {
	ctx := context.Background()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	gitDir, err := runGit(gitCommand(ctx, abs, nil, nil, "rev-parse", "--absolute-git-dir"))
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	g := &GitRepo{dir: abs, base: baseBranch, stateDir: filepath.Join(gitDir, "tfpilot")}
	if _, ok, err := g.ref(ctx, g.baseRef()); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("open repository %s: no branch %q", dir, baseBranch)
	}
	return g, nil
}

// Dir is the repository's working tree.
func (g *GitRepo) Dir() string { return g.dir }

// BaseBranch is the branch changes are merged into.
func (g *GitRepo) BaseBranch() string { return g.base }

func (g *GitRepo) baseRef() string { return "refs/heads/" + g.base }

func branchRef(branch string) string { return "refs/heads/" + branch }

// git builds a command in the repository.
func (g *GitRepo) git(ctx context.Context, args ...string) *gitCall {
	return &gitCall{ctx: ctx, g: g, args: args}
}

// gitCall is a git command being put together: optional stdin and environment.
type gitCall struct {
	ctx   context.Context
	g     *GitRepo
	args  []string
	env   []string
	stdin []byte
}

func (e *gitCall) input(b []byte) *gitCall       { e.stdin = b; return e }
func (e *gitCall) withEnv(kv ...string) *gitCall { e.env = append(e.env, kv...); return e }
func (e *gitCall) run() (string, error) {
	return runGit(gitCommand(e.ctx, e.g.dir, e.env, e.stdin, e.args...))
}

// ref resolves a full ref name to a commit; ok is false when it does not exist.
func (g *GitRepo) ref(ctx context.Context, name string) (sha string, ok bool, err error) {
	out, err := g.git(ctx, "rev-parse", "--verify", "--quiet", name+"^{commit}").run()
	if err != nil {
		if exitCode(err) == 1 {
			return "", false, nil
		}
		return "", false, fmt.Errorf("resolve %s: %w", name, err)
	}
	return out, true, nil
}

// BaseSHA returns the commit the base branch points at now.
func (g *GitRepo) BaseSHA(ctx context.Context) (string, error) {
	sha, ok, err := g.ref(ctx, g.baseRef())
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("base branch %s is gone: %w", g.base, flow.ErrNotFound)
	}
	return sha, nil
}

// OpenChange makes branch spec.Branch with one commit on the base branch
// holding spec.Files, numbers it as a local pull request, and returns it. It
// is idempotent: an existing branch whose commit already carries these files
// is returned as it is; one carrying other files (the inputs were edited) is
// rebuilt on the current base. A change already merged or closed is returned
// as recorded. With spec.AtBase the branch is only pointed at the base head
// (see atBase).
func (g *GitRepo) OpenChange(ctx context.Context, spec flow.ChangeSpec) (flow.Change, error) {
	if err := checkSpec(spec); err != nil {
		return flow.Change{}, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	book, err := g.loadBook()
	if err != nil {
		return flow.Change{}, err
	}
	if spec.AtBase {
		return g.atBase(ctx, book, spec)
	}
	if rec, ok := book.Changes[spec.Branch]; ok && (rec.Merged || rec.Closed) {
		return rec.change(), nil
	}
	head, exists, err := g.ref(ctx, branchRef(spec.Branch))
	if err != nil {
		return flow.Change{}, err
	}
	var parent string
	if exists {
		parent, err = g.parent(ctx, head)
		if err != nil {
			return flow.Change{}, err
		}
		same, err := g.carries(ctx, parent, head, spec.Files)
		if err != nil {
			return flow.Change{}, err
		}
		if !same {
			if parent, err = g.BaseSHA(ctx); err != nil {
				return flow.Change{}, err
			}
			next, err := g.commitFiles(ctx, parent, spec)
			if err != nil {
				return flow.Change{}, err
			}
			if _, err := g.git(ctx, "update-ref", branchRef(spec.Branch), next, head).run(); err != nil {
				return flow.Change{}, fmt.Errorf("update branch %s: %w", spec.Branch, err)
			}
			head = next
		}
	} else {
		if parent, err = g.BaseSHA(ctx); err != nil {
			return flow.Change{}, err
		}
		if head, err = g.commitFiles(ctx, parent, spec); err != nil {
			return flow.Change{}, err
		}
		// An empty old value makes update-ref refuse if the branch appeared meanwhile.
		if _, err := g.git(ctx, "update-ref", branchRef(spec.Branch), head, "").run(); err != nil {
			return flow.Change{}, fmt.Errorf("create branch %s: %w", spec.Branch, err)
		}
	}
	rec := book.record(spec.RequestID, spec.Branch)
	rec.Title, rec.BaseSHA, rec.HeadSHA = spec.Title, parent, head
	if err := g.saveBook(book); err != nil {
		return flow.Change{}, err
	}
	return rec.change(), nil
}

// checkSpec refuses a change whose branch or paths could escape where they
// belong.
func checkSpec(spec flow.ChangeSpec) error {
	if spec.Branch == "" || strings.ContainsAny(spec.Branch, " ~^:?*[\\") || strings.Contains(spec.Branch, "..") {
		return fmt.Errorf("open change: bad branch name %q", spec.Branch)
	}
	if len(spec.Files) == 0 && !spec.AtBase {
		return fmt.Errorf("open change %s: no files", spec.Branch)
	}
	for _, f := range spec.Files {
		if f.Path == "" || path.Clean(f.Path) != f.Path || path.IsAbs(f.Path) || f.Path == ".." || strings.HasPrefix(f.Path, "../") {
			return fmt.Errorf("open change %s: bad path %q", spec.Branch, f.Path)
		}
	}
	return nil
}

// parent returns the first parent of commit.
func (g *GitRepo) parent(ctx context.Context, commit string) (string, error) {
	out, err := g.git(ctx, "rev-parse", "--verify", commit+"^1").run()
	if err != nil {
		return "", fmt.Errorf("parent of %s: %w", commit, err)
	}
	return out, nil
}

// carries reports whether head's tree is parent's tree with files applied.
func (g *GitRepo) carries(ctx context.Context, parent, head string, files []flow.FileChange) (bool, error) {
	want, err := g.buildTree(ctx, parent, func(ix *index) error { return ix.apply(files) })
	if err != nil {
		return false, err
	}
	got, err := g.git(ctx, "rev-parse", head+"^{tree}").run()
	if err != nil {
		return false, fmt.Errorf("tree of %s: %w", head, err)
	}
	return want == got, nil
}

// commitFiles makes a commit on parent carrying files, and returns it.
func (g *GitRepo) commitFiles(ctx context.Context, parent string, spec flow.ChangeSpec) (string, error) {
	tree, err := g.buildTree(ctx, parent, func(ix *index) error { return ix.apply(spec.Files) })
	if err != nil {
		return "", fmt.Errorf("open change %s: %w", spec.Branch, err)
	}
	msg := spec.Title
	if spec.Body != "" {
		msg += "\n\n" + spec.Body
	}
	return g.commitTree(ctx, tree, msg, parent)
}

// commitTree writes a commit object and returns its SHA.
func (g *GitRepo) commitTree(ctx context.Context, tree, msg string, parents ...string) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	args = append(args, "-F", "-")
	out, err := g.git(ctx, args...).input([]byte(msg + "\n")).run()
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

// ChangeStatus reports the change's branch head and the base it stands on.
// When the base branch moved in a way that matters to the change (a commit
// touched the change's environment root or modules/), the branch is first
// rebuilt on the new base, as GitHub's "Update branch" would: the head then
// differs from c.HeadSHA, so the engine marks the request stale and the
// re-plan plans the change on top of what is there now. A base that moved
// elsewhere (another environment) leaves the change as it is. A merged
// change is reported as its branch and the base are (see mergedStatus).
func (g *GitRepo) ChangeStatus(ctx context.Context, project string, c flow.Change) (flow.Change, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.Merged {
		return g.mergedStatus(ctx, c)
	}
	st, err := g.status(ctx, c)
	if err != nil || st.done {
		return st.change(), err
	}
	if st.relevant {
		if err := g.rebase(ctx, st); err != nil {
			return flow.Change{}, err
		}
	}
	return st.change(), nil
}

// CommitAuthor returns the git author name of commit sha.
func (g *GitRepo) CommitAuthor(ctx context.Context, project, sha string) (string, error) {
	out, err := g.git(ctx, "log", "-1", "--format=%an", sha+"^{commit}", "--").run()
	if err != nil {
		return "", fmt.Errorf("author of %.12s: %w", sha, err)
	}
	return strings.TrimSpace(out), nil
}

// MergeChange merges the change into the base branch with a merge commit and
// deletes its branch. It returns flow.ErrStale, without merging, when the
// branch moved since c.HeadSHA, or when the base moved since the change was
// built in a way that matters to it (after rebuilding the branch on the new
// base, so a re-plan sees the combination). A base that moved elsewhere is
// merged across. Merging a merged change returns it again, deleting its
// branch if there is one (made again at the base by atBase for its apply).
func (g *GitRepo) MergeChange(ctx context.Context, project string, c flow.Change) (flow.Change, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.Merged {
		return c, g.dropBranch(ctx, c.Branch)
	}
	st, err := g.status(ctx, c)
	if errors.Is(err, flow.ErrNotFound) {
		return g.mergedUnrecorded(ctx, c, err)
	}
	if err != nil || st.done {
		return st.change(), err
	}
	if c.HeadSHA != "" && st.head != c.HeadSHA {
		return st.change(), fmt.Errorf("merge %s: branch is at %.12s, the plan was made at %.12s: %w", c.Branch, st.head, c.HeadSHA, flow.ErrStale)
	}
	// A merge that advanced the base but crashed before the bookkeeping
	// leaves the head reachable from the base: finish it rather than see the
	// change's own commit as a moved base.
	already, err := g.isAncestor(ctx, st.head, st.tip)
	if err != nil {
		return flow.Change{}, err
	}
	merge := st.tip
	if !already {
		if st.relevant {
			if err := g.rebase(ctx, st); err != nil {
				return flow.Change{}, err
			}
			return st.change(), fmt.Errorf("merge %s: %s moved since the plan: %w", c.Branch, g.base, flow.ErrStale)
		}
		if merge, err = g.mergeCommit(ctx, st); err != nil {
			return flow.Change{}, err
		}
		if err := g.advanceBase(ctx, st.tip, merge); err != nil {
			return flow.Change{}, err
		}
	}
	// The record first, the branch after: a crash in between leaves a
	// merged record and a branch that the next call deletes.
	st.rec.Merged, st.rec.MergeSHA, st.rec.HeadSHA, st.rec.BaseSHA = true, merge, st.head, st.parent
	if err := g.saveBook(st.book); err != nil {
		return flow.Change{}, err
	}
	if _, err := g.git(ctx, "update-ref", "-d", branchRef(c.Branch), st.head).run(); err != nil {
		return flow.Change{}, fmt.Errorf("delete branch %s: %w", c.Branch, err)
	}
	return st.rec.change(), nil
}

// mergedUnrecorded finishes the bookkeeping of a change whose branch is gone
// but not recorded as merged: an earlier merge (of a TfPilot that deleted
// the branch before saving the record) that crashed in between. When c's
// head is in the base branch it was merged: record that and return it.
// Otherwise notFound stands. The caller holds g.mu.
func (g *GitRepo) mergedUnrecorded(ctx context.Context, c flow.Change, notFound error) (flow.Change, error) {
	book, err := g.loadBook()
	if err != nil {
		return flow.Change{}, err
	}
	rec, known := book.Changes[c.Branch]
	if !known || c.HeadSHA == "" {
		return flow.Change{}, notFound
	}
	tip, err := g.BaseSHA(ctx)
	if err != nil {
		return flow.Change{}, err
	}
	if in, err := g.isAncestor(ctx, c.HeadSHA, tip); err != nil || !in {
		return flow.Change{}, errors.Join(notFound, err)
	}
	// The merge commit is the first commit on the base that has the head as
	// an ancestor.
	out, err := g.git(ctx, "rev-list", "--ancestry-path", "--merges", "--reverse", c.HeadSHA+".."+tip).run()
	if err != nil {
		return flow.Change{}, fmt.Errorf("find the merge of %s: %w", c.Branch, err)
	}
	merge, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	parent, err := g.parent(ctx, c.HeadSHA)
	if err != nil {
		return flow.Change{}, err
	}
	rec.Merged, rec.MergeSHA, rec.HeadSHA, rec.BaseSHA = true, merge, c.HeadSHA, parent
	if err := g.saveBook(book); err != nil {
		return flow.Change{}, err
	}
	return rec.change(), nil
}

// CloseChange deletes the change's branch and marks its pull request closed.
// Closing a closed or unknown change does nothing more; closing a merged
// one only deletes its branch (made again at the base by atBase).
func (g *GitRepo) CloseChange(ctx context.Context, project string, c flow.Change) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	book, err := g.loadBook()
	if err != nil {
		return err
	}
	rec, known := book.Changes[c.Branch]
	if err := g.dropBranch(ctx, c.Branch); err != nil || !known || rec.Merged {
		return err
	}
	rec.Closed = true
	return g.saveBook(book)
}

// isAncestor reports whether a is reachable from b.
func (g *GitRepo) isAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := g.git(ctx, "merge-base", "--is-ancestor", a, b).run()
	switch {
	case err == nil:
		return true, nil
	case exitCode(err) == 1:
		return false, nil
	}
	return false, fmt.Errorf("is %.12s in %.12s: %w", a, b, err)
}

// advanceBase moves the base branch from old to next. When the base branch is
// checked out in the working tree, the tree follows (git merge --ff-only, which
// refuses rather than overwrite local edits); otherwise only the ref moves,
// and only if it is still at old.
func (g *GitRepo) advanceBase(ctx context.Context, old, next string) error {
	head, err := g.git(ctx, "symbolic-ref", "--quiet", "HEAD").run()
	checkedOut := err == nil && head == g.baseRef()
	if checkedOut {
		bare, err := g.git(ctx, "rev-parse", "--is-bare-repository").run()
		if err != nil {
			return fmt.Errorf("advance %s: %w", g.base, err)
		}
		checkedOut = bare != "true"
	}
	if checkedOut {
		if _, err := g.git(ctx, "merge", "--ff-only", "--quiet", next).run(); err != nil {
			return fmt.Errorf("advance %s (checked out in %s): %w", g.base, g.dir, err)
		}
		return nil
	}
	if _, err := g.git(ctx, "update-ref", g.baseRef(), next, old).run(); err != nil {
		return fmt.Errorf("advance %s: %w", g.base, err)
	}
	return nil
}
