package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// maxCachedFile is the largest file FileAt keeps: what Render writes is a
// kilobyte or two, and 2048 (maxCached) files of up to a megabyte, merged
// by hand under request files' names, would hold gigabytes.
const maxCachedFile = 16 << 10

// fileAt is a file as read at a commit, or its absence there.
type fileAt struct {
	content []byte
	missing bool
}

// FileAt implements flow.Repo with GitHub's "Get repository content" (GET
// /repos/{owner}/{repo}/contents/{path}?ref={sha},
// docs.github.com/en/rest/repos/contents#get-repository-content): one
// call, and none for a path already read at a full commit SHA, whose files
// never change (unless it is over maxCachedFile). A path that is a folder
// (GitHub lists it), a symlink or submodule, or a file over flow.MaxFileAt
// (GitHub sends no content past 1 MB) is an error; a ref GitHub does not
// know is an error, not ErrNotFound.
func (c *Client) FileAt(ctx context.Context, project, sha, path string) ([]byte, error) {
	r, err := c.repo(project)
	if err != nil {
		return nil, err
	}
	op := "read " + path + " at " + flow.ShortSHA(sha)
	key := r.String() + "@" + sha + ":" + path
	c.mu.Lock()
	f, ok := c.files[key]
	c.mu.Unlock()
	if !ok {
		if f, err = c.readFileAt(ctx, r, sha, path, op); err != nil {
			return nil, err
		}
		if fullSHA(sha) && len(f.content) <= maxCachedFile {
			c.mu.Lock()
			if len(c.files) >= maxCached {
				clear(c.files)
			}
			c.files[key] = f
			c.mu.Unlock()
		}
	}
	if f.missing {
		return nil, fmt.Errorf("%s: no such file: %w", op, flow.ErrNotFound)
	}
	return bytes.Clone(f.content), nil
}

// readFileAt asks GitHub for path at ref.
func (c *Client) readFileAt(ctx context.Context, r Repo, ref, path, op string) (fileAt, error) {
	var raw json.RawMessage
	// Conditional only for a ref that can move: the answer at a commit is
	// kept by FileAt, or too large to keep twice.
	_, resp, err := c.get(ctx, repoPath(r, "contents/%s?ref=%s", escapeRef(path), url.QueryEscape(ref)), &raw, !fullSHA(ref))
	if err != nil {
		switch status, msg := statusOf(resp, err); {
		case status == http.StatusNotFound && strings.Contains(msg, "No commit found"):
			return fileAt{}, fmt.Errorf("%s: GitHub knows no such commit (%s)", op, msg)
		case status == http.StatusNotFound:
			return fileAt{missing: true}, nil
		}
		return fileAt{}, mapErr(op, permContentsRead, resp, err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		return fileAt{}, fmt.Errorf("%s: it is a folder, not a file", op)
	}
	var rc gh.RepositoryContent
	if err := json.Unmarshal(raw, &rc); err != nil {
		return fileAt{}, fmt.Errorf("%s: %w", op, err)
	}
	switch {
	case rc.GetType() != "file":
		return fileAt{}, fmt.Errorf("%s: it is a %s, not a file", op, rc.GetType())
	case rc.GetSize() > flow.MaxFileAt:
		return fileAt{}, fmt.Errorf("%s: it is %d bytes, more than TfPilot reads (%d)", op, rc.GetSize(), flow.MaxFileAt)
	case rc.GetEncoding() != "base64":
		return fileAt{}, fmt.Errorf("%s: GitHub sent its content encoded as %q, not base64", op, rc.GetEncoding())
	}
	content, err := rc.GetContent() // base64, decoded
	if err != nil {
		return fileAt{}, fmt.Errorf("%s: %w", op, err)
	}
	return fileAt{content: []byte(content)}, nil
}

// fullSHA reports whether ref is a full commit SHA, which names the same
// files forever (a branch name or a short SHA may not).
func fullSHA(ref string) bool {
	if len(ref) != 40 {
		return false
	}
	for _, ch := range ref {
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f') {
			return false
		}
	}
	return true
}
