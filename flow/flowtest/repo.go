package flowtest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Repo is an in-memory flow.Repo for one or more projects sharing one base
// branch. It is idempotent by branch: OpenChange finds the branch and PR
// before creating them, and builds its commit again only when the files
// differ, someone else pushed to the branch or the base moved.
type Repo struct {
	Faults
	mu        sync.Mutex
	base      int // base branch commit counter
	branches  map[string]*branch
	counts    RepoCounts
	authors   map[string]string         // pushed commit → author
	records   map[string]string         // branch → record on its pull request
	recordLog map[string][]string       // branch → every record written, in order
	closed    []string                  // branches whose pull request was closed or merged, newest first
	moved     map[int][]string          // base commit → the paths it changed from the one before
	trees     map[int]map[string][]byte // base commit → its files (none at base-1)
}

type branch struct {
	files  []flow.FileChange
	commit int
	change flow.Change
	built  string // the head OpenChange built; another head was pushed by someone else
}

// Builder is the author CommitAuthor names for the commits the fake built
// itself (OpenChange, MergeChange).
const Builder = "tfpilot[bot]"

// RepoCounts says how often the repository was changed.
type RepoCounts struct {
	Branches, PRs, Commits, Merges, Closes int
	ClosedLists                            int // ClosedChanges calls
	FileReads                              int // FileAt calls
}

var _ flow.Repo = (*Repo)(nil)

// NewRepo returns an empty repository.
func NewRepo() *Repo { return &Repo{base: 1, branches: map[string]*branch{}} }

func (r *Repo) baseSHA() string { return fmt.Sprintf("base-%d", r.base) }

func headSHA(name string, commit int) string { return fmt.Sprintf("%s@%d", name, commit) }

// OpenChange implements flow.Repo. Fault "OpenChange:done" strikes after
// the change is made (a crash before its result is saved).
func (r *Repo) OpenChange(ctx context.Context, spec flow.ChangeSpec) (flow.Change, error) {
	if err := r.hit(ctx, "OpenChange"); err != nil {
		return flow.Change{}, err
	}
	c, err := r.openChange(spec)
	if err == nil {
		err = r.hit(ctx, "OpenChange:done")
	}
	return c, err
}

func (r *Repo) openChange(spec flow.ChangeSpec) (flow.Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.branches[spec.Branch]
	if !ok {
		r.counts.Branches++
		r.counts.PRs++
		r.counts.Commits++
		b = &branch{files: spec.Files, commit: 1}
		b.change = flow.Change{Branch: spec.Branch, Number: r.counts.PRs, URL: fmt.Sprintf("https://example.test/pr/%d", r.counts.PRs),
			HeadSHA: headSHA(spec.Branch, 1), BaseSHA: r.baseSHA()}
		b.built = b.change.HeadSHA
		r.branches[spec.Branch] = b
	} else if spec.AtBase {
		// Merged by hand: the branch again, at the base head, no commit.
		b.change.HeadSHA, b.change.BaseSHA = r.baseSHA(), r.baseSHA()
		b.built = b.change.HeadSHA
	} else if !sameFiles(b.files, spec.Files) || b.change.HeadSHA != b.built || b.change.BaseSHA != r.baseSHA() {
		// Files edited, someone pushed, or the base moved: build the one
		// commit again on the current base (force-updating the branch).
		r.counts.Commits++
		b.commit++
		b.files = spec.Files
		b.change.HeadSHA = headSHA(spec.Branch, b.commit)
		b.change.BaseSHA = r.baseSHA()
		b.built = b.change.HeadSHA
	}
	return b.change, nil
}

func sameFiles(a, b []flow.FileChange) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].Delete != b[i].Delete || !bytes.Equal(a[i].Content, b[i].Content) {
			return false
		}
	}
	return true
}

// ChangeStatus implements flow.Repo: the branch head and the base now.
func (r *Repo) ChangeStatus(ctx context.Context, project string, c flow.Change) (flow.Change, error) {
	if err := r.hit(ctx, "ChangeStatus"); err != nil {
		return flow.Change{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.branches[c.Branch]
	if !ok {
		return flow.Change{}, fmt.Errorf("branch %s: %w", c.Branch, flow.ErrNotFound)
	}
	out := b.change
	out.BaseSHA = r.baseSHA()
	return out, nil
}

// CommitAuthor implements flow.Repo: the author PushAs gave, else Builder.
func (r *Repo) CommitAuthor(ctx context.Context, project, sha string) (string, error) {
	if err := r.hit(ctx, "CommitAuthor"); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.authors[sha]; ok {
		return a, nil
	}
	return Builder, nil
}

// MergeChange implements flow.Repo. A merge moves the base (its squash
// commit). When the base moved since c.BaseSHA it
// brings the branch up to date (a new head) and returns ErrStale. Fault
// "MergeChange:done" strikes after the merge.
func (r *Repo) MergeChange(ctx context.Context, project string, c flow.Change) (flow.Change, error) {
	if err := r.hit(ctx, "MergeChange"); err != nil {
		return flow.Change{}, err
	}
	out, err := r.merge(c)
	if err == nil {
		err = r.hit(ctx, "MergeChange:done")
	}
	return out, err
}

func (r *Repo) merge(c flow.Change) (flow.Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.branches[c.Branch]
	if !ok {
		return flow.Change{}, fmt.Errorf("branch %s: %w", c.Branch, flow.ErrNotFound)
	}
	if b.change.Merged {
		return b.change, nil
	}
	if c.BaseSHA != r.baseSHA() && !r.onlyOtherRequests(c.BaseSHA, b.files) {
		b.commit++
		r.counts.Commits++
		b.change.HeadSHA = headSHA(c.Branch, b.commit)
		b.change.BaseSHA = r.baseSHA()
		b.built = b.change.HeadSHA
		return b.change, fmt.Errorf("merge %s: %w", c.Branch, flow.ErrStale)
	}
	r.counts.Merges++
	r.moveBase(b.files...) // the squash commit lands on the base branch, as on GitHub
	b.change.Merged = true
	return b.change, nil
}

// onlyOtherRequests reports whether the base moved since from only by
// other requests' files (not one of files): a merge goes across such
// moves, as the GitHub adapter's does. The caller holds r.mu.
func (r *Repo) onlyOtherRequests(from string, files []flow.FileChange) bool {
	var a int
	if _, err := fmt.Sscanf(from, "base-%d", &a); err != nil || a < 1 || a > r.base {
		return false
	}
	for n := a + 1; n <= r.base; n++ {
		for _, p := range r.moved[n] {
			_, _, ok := registry.RequestFile(p)
			if !ok || slices.ContainsFunc(files, func(f flow.FileChange) bool { return f.Path == p }) {
				return false
			}
		}
	}
	return true
}

// CloseChange implements flow.Repo.
func (r *Repo) CloseChange(ctx context.Context, project string, c flow.Change) error {
	if err := r.hit(ctx, "CloseChange"); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.branches[c.Branch]; ok && !b.change.Closed {
		b.change.Closed = true
		r.counts.Closes++
	}
	return nil
}

// MoveBase adds a commit to the base branch (someone else merged): one
// that changes hand-written Terraform, envs/dev/main.tf.
func (r *Repo) MoveBase() { r.MoveBaseBy("envs/dev/main.tf") }

// MoveBaseBy adds a commit changing paths to the base branch. A request
// file (registry.RequestFile) gets what Render writes, one module block of
// its label; any other path a line of hand-written Terraform.
func (r *Repo) MoveBaseBy(paths ...string) {
	files := make([]flow.FileChange, 0, len(paths))
	for _, p := range paths {
		content := "# changed by hand\nlocals {\n  changed = true\n}\n"
		if _, label, ok := registry.RequestFile(p); ok {
			content = fmt.Sprintf("# Managed by TfPilot\n\nmodule \"tfpilot_%s\" {\n  source = \"../../modules/bucket\"\n  name   = \"other\"\n}\n", label)
		}
		files = append(files, flow.FileChange{Path: p, Content: []byte(content)})
	}
	r.MoveBaseWith(files...)
}

// MoveBaseWith adds a commit to the base branch that writes or deletes
// files as given (someone merged them by hand).
func (r *Repo) MoveBaseWith(files ...flow.FileChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.moveBase(files...)
}

func (r *Repo) moveBase(files ...flow.FileChange) {
	if r.moved == nil {
		r.moved, r.trees = map[int][]string{}, map[int]map[string][]byte{}
	}
	tree := maps.Clone(r.trees[r.base])
	if tree == nil {
		tree = map[string][]byte{}
	}
	r.base++
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
		if f.Delete {
			delete(tree, f.Path)
		} else {
			tree[f.Path] = bytes.Clone(f.Content)
		}
	}
	r.moved[r.base], r.trees[r.base] = paths, tree
}

// BaseMoves implements flow.Repo: the paths the base commits after from,
// up to to, changed. Fault "BaseMoves".
func (r *Repo) BaseMoves(ctx context.Context, project, from, to string) ([]string, error) {
	if err := r.hit(ctx, "BaseMoves"); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var a, b int
	if _, err := fmt.Sscanf(from, "base-%d", &a); err != nil || a < 1 || a > r.base {
		return nil, fmt.Errorf("compare %s: %w", from, flow.ErrNotFound)
	}
	if _, err := fmt.Sscanf(to, "base-%d", &b); err != nil || b < a || b > r.base {
		return nil, fmt.Errorf("compare %s...%s: %w", from, to, flow.ErrNotFound)
	}
	seen := map[string]bool{}
	var out []string
	for n := a + 1; n <= b; n++ {
		for _, p := range r.moved[n] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// FileAt implements flow.Repo for the commits of the base branch: the
// content a path has there, ErrNotFound when it has none. Fault "FileAt".
func (r *Repo) FileAt(ctx context.Context, project, sha, path string) ([]byte, error) {
	if err := r.hit(ctx, "FileAt"); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.FileReads++
	var n int
	if _, err := fmt.Sscanf(sha, "base-%d", &n); err != nil || n < 1 || n > r.base {
		return nil, fmt.Errorf("read %s at %s: no such commit of the base branch", path, sha)
	}
	content, ok := r.trees[n][path]
	if !ok {
		return nil, fmt.Errorf("read %s at %s: %w", path, sha, flow.ErrNotFound)
	}
	return bytes.Clone(content), nil
}

// CloseByHand closes the pull request of branch without merging it, as
// someone closing it on the forge would; ChangeStatus reports it Closed.
func (r *Repo) CloseByHand(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.branches[name]; ok {
		b.change.Closed = true
		r.closed = append([]string{name}, r.closed...)
	}
}

// MergeByHand merges the pull request of branch as someone on the forge
// would: the base moves (its squash commit) and the branch is deleted with
// it, while nothing was applied.
func (r *Repo) MergeByHand(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.branches[name]; ok {
		b.change.Closed, b.change.Merged = true, true
		r.moveBase(b.files...)
		r.closed = append([]string{name}, r.closed...)
	}
}

// ClosedChanges implements flow.Repo: the pull requests closed or merged
// by hand (CloseByHand, MergeByHand), newest first. Fault "ClosedChanges".
func (r *Repo) ClosedChanges(ctx context.Context, project string) ([]flow.Change, error) {
	if err := r.hit(ctx, "ClosedChanges"); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.ClosedLists++
	var out []flow.Change
	for _, name := range r.closed {
		c := r.branches[name].change
		out = append(out, flow.Change{Branch: c.Branch, Number: c.Number, Closed: true, Merged: c.Merged})
	}
	return out, nil
}

// Push adds a commit to branch (someone pushed to the request's branch).
func (r *Repo) Push(name string) { r.PushAs(name, "someone") }

// PushAs adds a commit by author to branch and returns the new head ("" when
// the branch does not exist).
func (r *Repo) PushAs(name, author string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.branches[name]
	if !ok {
		return ""
	}
	b.commit++
	r.counts.Commits++
	b.change.HeadSHA = headSHA(name, b.commit)
	if r.authors == nil {
		r.authors = map[string]string{}
	}
	r.authors[b.change.HeadSHA] = author
	return b.change.HeadSHA
}

// Head returns the head commit of branch ("" when it does not exist).
func (r *Repo) Head(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.branches[name]; ok {
		return b.change.HeadSHA
	}
	return ""
}

// Files returns the files last committed on branch.
func (r *Repo) Files(name string) []flow.FileChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.branches[name]; ok {
		return b.files
	}
	return nil
}

// Counts returns how often the repository was changed.
func (r *Repo) Counts() RepoCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts
}

// RecordOnChange implements flow.Repo: it keeps the last body per branch.
// Fault "RecordOnChange".
func (r *Repo) RecordOnChange(ctx context.Context, project string, c flow.Change, body string) error {
	if err := r.hit(ctx, "RecordOnChange"); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.records == nil {
		r.records, r.recordLog = map[string]string{}, map[string][]string{}
	}
	r.records[c.Branch] = body
	r.recordLog[c.Branch] = append(r.recordLog[c.Branch], body)
	return nil
}

// Record returns the record last written on branch's pull request.
func (r *Repo) Record(branch string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.records[branch]
}

// Records returns every record written on branch's pull request, in order.
func (r *Repo) Records(branch string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.recordLog[branch]...)
}
