package ghfake

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// noteRefCreated counts a created ref of rp. Called with f.mu held.
func (f *Fake) noteRefCreated(rp *repo, ref string) {
	if f.refsCreated == nil {
		f.refsCreated = map[string]int{}
	}
	f.refsCreated[rp.owner+"/"+rp.name+" "+ref]++
}

// Duplicates lists what repository full ("owner/name") holds twice that a
// client doing each thing once would have made once: a branch created more
// than once (even after a delete), more than one pull request from one
// branch, more than one merged pull request from one branch, more than one
// run of one request and workflow dispatched with one dispatch key (the
// key is unique within a request). Empty when there is none.
func (f *Fake) Duplicates(full string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(f.refsCreated)) {
		if ref, ok := strings.CutPrefix(k, full+" "); ok && f.refsCreated[k] > 1 {
			out = append(out, fmt.Sprintf("ref %s created %d times", ref, f.refsCreated[k]))
		}
	}
	prs, merged := map[string]int{}, map[string]int{}
	for _, p := range rp.pulls {
		prs[p.head]++
		if p.merged {
			merged[p.head]++
		}
	}
	for _, h := range slices.Sorted(maps.Keys(prs)) {
		if prs[h] > 1 {
			out = append(out, fmt.Sprintf("%d pull requests from %s", prs[h], h))
		}
		if merged[h] > 1 {
			out = append(out, fmt.Sprintf("%d merged pull requests from %s", merged[h], h))
		}
	}
	keys := map[string][]int64{}
	for _, id := range slices.Sorted(maps.Keys(f.runs)) {
		if r := f.runs[id]; r.repo == full && r.inputs[KeyInput] != "" {
			k := r.inputs["request_id"] + " " + r.workflow + " " + r.inputs[KeyInput]
			keys[k] = append(keys[k], id)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if ids := keys[k]; len(ids) > 1 {
			out = append(out, fmt.Sprintf("runs %v dispatched for one request, workflow and dispatch_key (%s)", ids, k))
		}
	}
	return out
}
