package ghfake

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// compare answers "Compare two commits" (GET
// /repos/{owner}/{repo}/compare/{base}...{head},
// docs.github.com/en/rest/commits/commits#compare-two-commits): the files
// that differ between the merge base of the two and head, as the
// three-dot form does, a file moved with its content unchanged as one
// renamed entry. GitHub lists at most 300 files.
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
	// GitHub detects renames: a file removed and one added with the same
	// content are one entry, "renamed", naming the old path only in
	// previous_filename.
	renamedFrom := map[string]string{}
	for _, n := range names {
		if from[n] != "" || to[n] == "" {
			continue
		}
		for _, old := range names {
			if to[old] == "" && from[old] == to[n] && !slices.Contains(slices.Collect(maps.Values(renamedFrom)), old) {
				renamedFrom[n] = old
				break
			}
		}
	}
	renamed := slices.Collect(maps.Values(renamedFrom))
	files := []map[string]any{}
	for _, n := range names {
		status := "modified"
		switch {
		case slices.Contains(renamed, n):
			continue
		case renamedFrom[n] != "":
			status = "renamed"
		case from[n] == "":
			status = "added"
		case to[n] == "":
			status = "removed"
		}
		if len(files) < 300 {
			file := map[string]any{"filename": n, "status": status}
			if status == "renamed" {
				file["previous_filename"] = renamedFrom[n]
			}
			files = append(files, file)
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
