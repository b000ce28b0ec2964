package github

import (
	"context"
	"encoding/base64"
	"fmt"
	"path"
	"strings"
	"testing/fstest"

	gh "github.com/google/go-github/v62/github"
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/registry"
)

// modulesDir is where an environment repository keeps its modules.
const modulesDir = "modules/"

// catalogEntry is a project's catalogue and the tree it was read from.
type catalogEntry struct {
	tree string
	cat  *registry.Catalog
}

// Catalog returns the module catalogue of project, read from modules/ of its
// repository at the base branch. The base branch is checked with a
// conditional GET on every call (a 304 or an unchanged tree reuses the
// catalogue); a new tree costs its recursive listing plus the blobs that
// changed (*.tf and README.md; blobs are cached by SHA). Modules that fail
// to load are logged and listed in the catalogue's Diagnostics; it fails
// only when no module loads at all.
func (c *Client) Catalog(ctx context.Context, project string) (*registry.Catalog, error) {
	r, err := c.repo(project)
	if err != nil {
		return nil, err
	}
	_, treeSHA, err := c.branchHead(ctx, r, r.BaseBranch)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e := c.catalogs[project]
	c.mu.Unlock()
	if e != nil && e.tree == treeSHA {
		return e.cat, nil
	}
	t, err := c.tree(ctx, r, treeSHA)
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{}
	for p, sha := range t.blobs {
		rel, ok := strings.CutPrefix(p, modulesDir)
		if !ok || (path.Ext(rel) != ".tf" && path.Base(rel) != "README.md") {
			continue
		}
		b, err := c.blob(ctx, r, sha)
		if err != nil {
			return nil, err
		}
		fsys[rel] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	cat, err := registry.Load(fsys)
	if cat == nil || len(cat.Modules) == 0 {
		if err == nil {
			err = fmt.Errorf("no modules under %s", modulesDir)
		}
		return nil, fmt.Errorf("catalogue of %s (%s@%s): %w", project, r, r.BaseBranch, err)
	}
	if err != nil {
		c.log.Warn("some modules did not load", zap.String("project", project), zap.Stringer("repo", r),
			zap.Int("loaded", len(cat.Modules)), zap.String("diagnostics", err.Error()))
	}
	c.mu.Lock()
	c.catalogs[project] = &catalogEntry{tree: treeSHA, cat: cat}
	c.mu.Unlock()
	return cat, nil
}

// blob returns a blob's content (one call, then cached by SHA).
func (c *Client) blob(ctx context.Context, r Repo, sha string) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.blobs[sha]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	var gb gh.Blob
	if _, resp, err := c.get(ctx, repoPath(r, "git/blobs/%s", sha), &gb, false); err != nil {
		return nil, mapErr("read blob "+sha, permContentsRead, resp, err)
	}
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(gb.GetContent(), "\n", ""))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", sha, err)
	}
	c.mu.Lock()
	if len(c.blobs) >= maxCached {
		clear(c.blobs)
	}
	c.blobs[sha] = b
	c.mu.Unlock()
	return b, nil
}
