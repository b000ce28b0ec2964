package github

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// treeListing is a recursive tree: every blob path with its SHA. Trees are
// content-addressed, so a listing is cached by SHA forever.
type treeListing struct {
	sha   string
	blobs map[string]string // path → blob SHA
}

// blobSHA is git's object name of a blob, so a file's content can be
// compared with a tree entry without downloading it.
func blobSHA(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// tree returns the recursive listing of tree sha (one call, then cached).
func (c *Client) tree(ctx context.Context, r Repo, sha string) (*treeListing, error) {
	c.mu.Lock()
	t := c.trees[sha]
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	var gt gh.Tree
	if _, resp, err := c.get(ctx, repoPath(r, "git/trees/%s?recursive=1", sha), &gt, false); err != nil {
		return nil, mapErr("read tree of "+r.String(), permContentsRead, resp, err)
	}
	if gt.GetTruncated() {
		return nil, fmt.Errorf("read tree of %s: the tree is too large for one listing: %w", r, flow.ErrConflict)
	}
	t = &treeListing{sha: sha, blobs: map[string]string{}}
	for _, e := range gt.Entries {
		if e.GetType() == "blob" {
			t.blobs[e.GetPath()] = e.GetSHA()
		}
	}
	c.mu.Lock()
	if len(c.trees) >= 64 {
		clear(c.trees)
	}
	c.trees[sha] = t
	c.mu.Unlock()
	return t, nil
}

// satisfies reports whether the tree already holds every file change.
func (t *treeListing) satisfies(files []flow.FileChange) bool {
	for _, f := range files {
		sha, ok := t.blobs[f.Path]
		if f.Delete == ok || (!f.Delete && sha != blobSHA(f.Content)) {
			return false
		}
	}
	return true
}

// createTree writes one tree on base holding every file change, with the
// contents inline (no blob calls); a deletion is an entry with "sha": null,
// which go-github's TreeEntry cannot send, so the body is built by hand.
func (c *Client) createTree(ctx context.Context, r Repo, base string, files []flow.FileChange) (string, error) {
	entries := make([]map[string]any, 0, len(files))
	for _, f := range files {
		e := map[string]any{"path": f.Path, "mode": "100644", "type": "blob"}
		if f.Delete {
			e["sha"] = nil
		} else {
			e["content"] = string(f.Content)
		}
		entries = append(entries, e)
	}
	var out gh.Tree
	resp, err := c.send(ctx, "POST", repoPath(r, "git/trees"), map[string]any{"base_tree": base, "tree": entries}, &out)
	if err != nil {
		return "", mapErr("write tree in "+r.String(), permContentsWrite, resp, err)
	}
	return out.GetSHA(), nil
}

// createCommit writes a commit of tree with one parent.
func (c *Client) createCommit(ctx context.Context, r Repo, message, tree, parent string) (string, error) {
	var out gh.Commit
	body := map[string]any{"message": message, "tree": tree, "parents": []string{parent}}
	resp, err := c.send(ctx, "POST", repoPath(r, "git/commits"), body, &out)
	if err != nil {
		return "", mapErr("write commit in "+r.String(), permContentsWrite, resp, err)
	}
	return out.GetSHA(), nil
}
