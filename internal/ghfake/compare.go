package ghfake

import (
	"net/http"
	"slices"
	"strings"
)

// compare answers "Compare two commits" (GET
// /repos/{owner}/{repo}/compare/{base}...{head},
// docs.github.com/en/rest/commits/commits#compare-two-commits): the files
// that differ between the merge base of the two and head, as the
// three-dot form does. GitHub lists at most 300 files.
func (f *Fake) compare(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	base, head, ok := strings.Cut(c.params["basehead"], "...")
	if !ok || rp.commits[base] == nil || rp.commits[head] == nil {
		c.error(http.StatusNotFound, "Not Found")
		return
	}
	from, to := rp.treeOf(rp.forkPoint(head, base)), rp.treeOf(head)
	var names []string
	for p, sha := range to {
		if from[p] != sha {
			names = append(names, p)
		}
	}
	for p := range from {
		if _, ok := to[p]; !ok {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	files := []map[string]any{}
	for _, n := range names {
		status := "modified"
		switch {
		case from[n] == "":
			status = "added"
		case to[n] == "":
			status = "removed"
		}
		if len(files) < 300 {
			files = append(files, map[string]any{"filename": n, "status": status})
		}
	}
	status := "diverged"
	switch fork := rp.forkPoint(head, base); {
	case head == base:
		status = "identical"
	case fork == base:
		status = "ahead"
	case fork == head:
		status = "behind"
	}
	c.json(http.StatusOK, map[string]any{"status": status, "files": files, "total_commits": 1})
}
