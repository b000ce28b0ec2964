package local

import (
	"context"
	"fmt"

	"github.com/tfpilot/tfpilot/flow"
)

// ClosedChanges implements flow.Repo: always none. Local mode's pull
// requests are entries in TfPilot's own change book, which only TfPilot
// closes or merges, so none can be closed or merged by hand.
func (g *GitRepo) ClosedChanges(ctx context.Context, project string) ([]flow.Change, error) {
	return nil, nil
}

// atBase points spec.Branch at the base branch's head, with no commit of
// its own (flow.ChangeSpec.AtBase: the change was merged before it was
// applied, so the base as it is is planned and applied), and records the
// change merged. Again it moves the branch to where the base is now. The
// caller holds g.mu.
func (g *GitRepo) atBase(ctx context.Context, book *changeBook, spec flow.ChangeSpec) (flow.Change, error) {
	tip, err := g.BaseSHA(ctx)
	if err != nil {
		return flow.Change{}, err
	}
	head, _, err := g.ref(ctx, branchRef(spec.Branch))
	if err != nil {
		return flow.Change{}, err
	}
	if head != tip {
		// The old value (empty: absent) makes update-ref refuse a branch
		// that moved meanwhile.
		if _, err := g.git(ctx, "update-ref", branchRef(spec.Branch), tip, head).run(); err != nil {
			return flow.Change{}, fmt.Errorf("point branch %s at %s: %w", spec.Branch, g.base, err)
		}
	}
	rec := book.record(spec.RequestID, spec.Branch)
	rec.HeadSHA, rec.BaseSHA, rec.Merged, rec.Closed = tip, tip, true, true
	if err := g.saveBook(book); err != nil {
		return flow.Change{}, err
	}
	return rec.change(), nil
}

// mergedStatus is ChangeStatus of a merged change: its branch (re-made at
// the base by atBase) and the base branch now; the change as recorded when
// the branch is gone. The caller holds g.mu.
func (g *GitRepo) mergedStatus(ctx context.Context, c flow.Change) (flow.Change, error) {
	head, ok, err := g.ref(ctx, branchRef(c.Branch))
	if err != nil || !ok {
		return c, err
	}
	tip, err := g.BaseSHA(ctx)
	if err != nil {
		return flow.Change{}, err
	}
	c.HeadSHA, c.BaseSHA = head, tip
	return c, nil
}

// dropBranch deletes branch if it exists. The caller holds g.mu.
func (g *GitRepo) dropBranch(ctx context.Context, branch string) error {
	head, ok, err := g.ref(ctx, branchRef(branch))
	if err != nil || !ok {
		return err
	}
	if _, err := g.git(ctx, "update-ref", "-d", branchRef(branch), head).run(); err != nil {
		return fmt.Errorf("delete branch %s: %w", branch, err)
	}
	return nil
}
