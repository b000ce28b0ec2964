package local

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// changeState is a change's branch as found now, with its book record.
type changeState struct {
	book   *changeBook
	rec    *changeRecord
	head   string // branch head
	parent string // the base commit the branch's one commit stands on
	tip    string // base branch now
	// relevant is set when the base moved since parent in a way that matters
	// to the change: a commit touched its environment root or modules/.
	relevant bool
	// done is set when the branch is gone because the change was merged or
	// closed; rec says which.
	done bool
}

// change is the state as flow sees it; the zero Change for a nil state.
func (st *changeState) change() flow.Change {
	if st == nil {
		return flow.Change{}
	}
	c := st.rec.change()
	if !st.done {
		c.HeadSHA, c.BaseSHA = st.head, st.parent
	}
	return c
}

// status finds the change's branch and decides whether the base moved in a
// way that matters. The caller holds g.mu.
func (g *GitRepo) status(ctx context.Context, c flow.Change) (*changeState, error) {
	book, err := g.loadBook()
	if err != nil {
		return nil, err
	}
	rec, known := book.Changes[c.Branch]
	head, ok, err := g.ref(ctx, branchRef(c.Branch))
	if err != nil {
		return nil, err
	}
	if !ok {
		if known && (rec.Merged || rec.Closed) {
			return &changeState{book: book, rec: rec, done: true}, nil
		}
		return nil, fmt.Errorf("change %s: no such branch: %w", c.Branch, flow.ErrNotFound)
	}
	if !known {
		rec = book.record(strings.TrimPrefix(c.Branch, "tfpilot/"), c.Branch)
	}
	st := &changeState{book: book, rec: rec, head: head}
	if st.parent, err = g.parent(ctx, head); err != nil {
		return nil, err
	}
	if st.tip, err = g.BaseSHA(ctx); err != nil {
		return nil, err
	}
	if st.tip == st.parent {
		return st, nil
	}
	merged, err := g.isAncestor(ctx, head, st.tip)
	if err != nil || merged {
		return st, err
	}
	st.relevant, err = g.movedUnder(ctx, st)
	return st, err
}

// movedUnder reports whether a commit between the change's parent and the
// base tip touched a folder the change writes to, or modules/ (which every
// environment root plans from). Other requests' files do not count: each
// is its own module block, applied by its own request, and merging this
// change across them yields what is applied.
func (g *GitRepo) movedUnder(ctx context.Context, st *changeState) (bool, error) {
	mine, err := g.changedPaths(ctx, st.parent, st.head)
	if err != nil {
		return false, err
	}
	dirs := []string{"modules/"}
	for _, p := range mine {
		dirs = append(dirs, path.Dir(p)+"/")
	}
	theirs, err := g.changedPaths(ctx, st.parent, st.tip)
	if err != nil {
		return false, err
	}
	for _, p := range theirs {
		if _, _, ok := registry.RequestFile(p); ok && !slices.Contains(mine, p) {
			continue
		}
		for _, d := range dirs {
			if strings.HasPrefix(p, d) {
				return true, nil
			}
		}
	}
	return false, nil
}

// changedPaths lists the files that differ between two commits.
func (g *GitRepo) changedPaths(ctx context.Context, from, to string) ([]string, error) {
	out, err := g.git(ctx, "diff-tree", "-r", "-z", "--no-renames", "--name-only", from, to).run()
	if err != nil {
		return nil, fmt.Errorf("diff %.12s..%.12s: %w", from, to, err)
	}
	return strings.FieldsFunc(out, func(r rune) bool { return r == 0 }), nil
}

// BaseMoves implements flow.Repo: the paths that differ between two
// commits of the base branch, from an ancestor of to (a base rewritten
// since — someone reset it — is an error: the diff would not say what the
// rewrite dropped). A rename gives both names, as git diff-tree without
// rename detection lists them.
func (g *GitRepo) BaseMoves(ctx context.Context, project, from, to string) ([]string, error) {
	ok, err := g.isAncestor(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("compare %s at %.12s with %.12s: %w", g.base, from, to, err)
	}
	if !ok {
		return nil, fmt.Errorf("compare %s at %.12s with %.12s: the base branch did not move forward: it was rewritten", g.base, from, to)
	}
	return g.changedPaths(ctx, from, to)
}

// rebase rebuilds the change's commit on the base tip and moves the branch
// there (only if it is still at st.head). The caller holds g.mu.
func (g *GitRepo) rebase(ctx context.Context, st *changeState) error {
	tree, err := g.buildTree(ctx, st.tip, func(ix *index) error { return ix.applyDiff(st.parent, st.head) })
	if err != nil {
		return fmt.Errorf("update branch %s: %w", st.rec.Branch, err)
	}
	msg, err := g.git(ctx, "log", "-1", "--format=%B", st.head).run()
	if err != nil {
		return fmt.Errorf("update branch %s: %w", st.rec.Branch, err)
	}
	next, err := g.commitTree(ctx, tree, strings.TrimSpace(msg), st.tip)
	if err != nil {
		return err
	}
	if _, err := g.git(ctx, "update-ref", branchRef(st.rec.Branch), next, st.head).run(); err != nil {
		return fmt.Errorf("update branch %s: %w", st.rec.Branch, err)
	}
	st.head, st.parent, st.relevant = next, st.tip, false
	st.rec.HeadSHA, st.rec.BaseSHA = next, st.tip
	return g.saveBook(st.book)
}

// mergeCommit writes the merge commit of the change into the base tip: the
// tip's tree with the change's own edits, parents tip and head.
func (g *GitRepo) mergeCommit(ctx context.Context, st *changeState) (string, error) {
	tree, err := g.buildTree(ctx, st.tip, func(ix *index) error { return ix.applyDiff(st.parent, st.head) })
	if err != nil {
		return "", fmt.Errorf("merge %s: %w", st.rec.Branch, err)
	}
	msg := fmt.Sprintf("Merge %s from %s", ChangeURL(st.rec.Number), st.rec.Branch)
	if st.rec.Title != "" {
		msg += "\n\n" + st.rec.Title
	}
	return g.commitTree(ctx, tree, msg, st.tip, st.head)
}

// index is a scratch index file: trees are built in it without touching the
// repository's own index or working tree.
type index struct {
	ctx context.Context
	g   *GitRepo
	env string // GIT_INDEX_FILE=...
}

func (ix *index) git(args ...string) *gitCall { return ix.g.git(ix.ctx, args...).withEnv(ix.env) }

// buildTree loads base's tree into a scratch index, lets fill edit it, and
// writes the resulting tree.
func (g *GitRepo) buildTree(ctx context.Context, base string, fill func(*index) error) (string, error) {
	if err := os.MkdirAll(g.stateDir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(g.stateDir, "index-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	_ = f.Close()
	// git wants a valid index or none: start from none.
	if err := os.Remove(name); err != nil {
		return "", err
	}
	defer os.Remove(name)
	ix := &index{ctx: ctx, g: g, env: "GIT_INDEX_FILE=" + name}
	if _, err := ix.git("read-tree", base).run(); err != nil {
		return "", fmt.Errorf("read tree %.12s: %w", base, err)
	}
	if err := fill(ix); err != nil {
		return "", err
	}
	tree, err := ix.git("write-tree").run()
	if err != nil {
		return "", fmt.Errorf("write tree: %w", err)
	}
	return tree, nil
}

// zeroSHA in --index-info removes a path.
const zeroSHA = "0000000000000000000000000000000000000000"

// apply writes or deletes files. Deleting a file that is not there is an
// error wrapping flow.ErrNotFound: a destroy of something never merged.
func (ix *index) apply(files []flow.FileChange) error {
	var info bytes.Buffer
	for _, f := range files {
		if f.Delete {
			out, err := ix.git("ls-files", "-z", "--", f.Path).run()
			if err != nil {
				return fmt.Errorf("look up %s: %w", f.Path, err)
			}
			if out == "" {
				return fmt.Errorf("delete %s: not in the base branch: %w", f.Path, flow.ErrNotFound)
			}
			fmt.Fprintf(&info, "0 %s\t%s\n", zeroSHA, f.Path)
			continue
		}
		sha, err := ix.git("hash-object", "-w", "--stdin").input(f.Content).run()
		if err != nil {
			return fmt.Errorf("store %s: %w", f.Path, err)
		}
		fmt.Fprintf(&info, "100644 %s\t%s\n", sha, f.Path)
	}
	return ix.indexInfo(info.Bytes())
}

// applyDiff replays the difference between two commits.
func (ix *index) applyDiff(from, to string) error {
	out, err := ix.git("diff-tree", "-r", "-z", "--no-renames", from, to).run()
	if err != nil {
		return fmt.Errorf("diff %.12s..%.12s: %w", from, to, err)
	}
	// Records are ":<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0".
	fields := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	var info bytes.Buffer
	for i := 0; i+1 < len(fields); i += 2 {
		meta := strings.Fields(strings.TrimPrefix(fields[i], ":"))
		if len(meta) != 5 {
			return fmt.Errorf("diff %.12s..%.12s: unexpected line %q", from, to, fields[i])
		}
		if meta[4] == "D" {
			fmt.Fprintf(&info, "0 %s\t%s\n", zeroSHA, fields[i+1])
			continue
		}
		fmt.Fprintf(&info, "%s %s\t%s\n", meta[1], meta[3], fields[i+1])
	}
	return ix.indexInfo(info.Bytes())
}

func (ix *index) indexInfo(info []byte) error {
	if len(info) == 0 {
		return nil
	}
	if _, err := ix.git("update-index", "--index-info").input(info).run(); err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	return nil
}

// ReadFile returns a file's content at a commit; ok is false when the commit
// has no such file.
func (g *GitRepo) ReadFile(ctx context.Context, commit, name string) (data []byte, ok bool, err error) {
	if _, err := g.git(ctx, "cat-file", "-e", commit+":"+name).run(); err != nil {
		if exitCode(err) == 128 || exitCode(err) == 1 {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read %s at %.12s: %w", name, commit, err)
	}
	out, err := runGitBytes(gitCommand(ctx, g.dir, nil, nil, "cat-file", "blob", commit+":"+name))
	if err != nil {
		return nil, false, fmt.Errorf("read %s at %.12s: %w", name, commit, err)
	}
	return out, true, nil
}

// Export writes the tree of commit (or only the given paths of it) under dst,
// which must not exist yet or be empty. Only regular files and folders are
// written; nothing is written outside dst.
func (g *GitRepo) Export(ctx context.Context, commit, dst string, paths ...string) error {
	args := append([]string{"archive", "--format=tar", commit, "--"}, paths...)
	data, err := runGitBytes(gitCommand(ctx, g.dir, nil, nil, args...))
	if err != nil {
		return fmt.Errorf("export %.12s: %w", commit, err)
	}
	if err := untar(bytes.NewReader(data), dst); err != nil {
		return fmt.Errorf("export %.12s to %s: %w", commit, dst, err)
	}
	return nil
}

// Resolve returns the commit a branch name points at; ok is false when there
// is no such branch.
func (g *GitRepo) Resolve(ctx context.Context, branch string) (sha string, ok bool, err error) {
	return g.ref(ctx, branchRef(branch))
}

// absJoin joins and cleans, refusing to leave root.
func absJoin(root, name string) (string, error) {
	p := filepath.Join(root, filepath.FromSlash(name))
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q leaves %s", name, root)
	}
	return p, nil
}
