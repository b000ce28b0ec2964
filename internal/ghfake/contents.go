package ghfake

import (
	"encoding/base64"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
)

// maxContentSize is the largest file "Get repository content" returns the
// content of with the default media type (1 MB); a larger file comes with
// encoding "none" and no content.
const maxContentSize = 1 << 20

// contents answers "Get repository content" (GET
// /repos/{owner}/{repo}/contents/{path}?ref={ref},
// docs.github.com/en/rest/repos/contents#get-repository-content) with the
// default media type: a file is an object with its content in base64,
// wrapped at 60 characters as GitHub sends it; a folder is an array of its
// entries (files and folders, not recursive); a file over 1 MB has
// encoding "none" and an empty content. ref is a commit SHA, a branch or a
// tag (none: the base branch); a ref that names no commit is 404 "No
// commit found for the ref …", a path the commit does not have 404 "Not
// Found".
func (f *Fake) contents(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	ref := c.query("ref")
	sha := ref
	switch {
	case ref == "":
		sha = rp.refs["heads/"+rp.base]
	case rp.commits[ref] == nil && rp.refs["heads/"+ref] != "":
		sha = rp.refs["heads/"+ref]
	case rp.commits[ref] == nil && rp.refs["tags/"+ref] != "":
		sha = rp.refs["tags/"+ref]
	}
	if rp.commits[sha] == nil {
		c.error(http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	tree, p := rp.treeOf(sha), strings.TrimSuffix(c.params["*"], "/")
	if blob, ok := tree[p]; ok {
		b := rp.blobs[blob]
		content, encoding := wrap60(base64.StdEncoding.EncodeToString(b)), "base64"
		if len(b) > maxContentSize {
			content, encoding = "", "none"
		}
		c.json(http.StatusOK, map[string]any{"type": "file", "name": path.Base(p), "path": p, "sha": blob, "size": len(b),
			"encoding": encoding, "content": content})
		return
	}
	entries := map[string]map[string]any{}
	for full, blob := range tree {
		rest, ok := strings.CutPrefix(full, p+"/")
		if !ok {
			continue
		}
		name, _, deeper := strings.Cut(rest, "/")
		e := map[string]any{"type": "file", "name": name, "path": p + "/" + name, "sha": blob, "size": len(rp.blobs[blob])}
		if deeper {
			e = map[string]any{"type": "dir", "name": name, "path": p + "/" + name, "sha": BlobSHA([]byte("dir " + p + "/" + name)), "size": 0}
		}
		entries[name] = e
	}
	if len(entries) == 0 {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	list := []map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		list = append(list, entries[name])
	}
	c.json(http.StatusOK, list)
}

// wrap60 breaks base64 text into lines of 60 characters, each ending with
// a newline, as GitHub's content field has it.
func wrap60(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	if s != "" {
		b.WriteByte('\n')
	}
	return b.String()
}
