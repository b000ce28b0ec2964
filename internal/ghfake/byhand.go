package ghfake

import (
	"fmt"
	"strconv"
	"time"
)

// MergeByHand merges pull request number of full ("owner/name") as a
// person on GitHub would, outside TfPilot: a squash commit on the base
// branch authored by login (whatever branch protection says: a person may
// bypass it), the pull request merged, and its head branch deleted
// ("Automatically delete head branches"). Nothing is applied.
func (f *Fake) MergeByHand(full string, number int, login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	p := rp.pullNumber(f, number)
	head, base := rp.refs["heads/"+p.head], rp.refs["heads/"+p.base]
	if p.state != "open" || p.headRepo != "" || head == "" {
		f.t.Fatalf("ghfake: MergeByHand: #%d of %s is %s (fork %q, head %q)", number, full, p.state, p.headRepo, head)
	}
	sha := rp.putCommit(rp.putTree(rp.applyBranch(head, base)), fmt.Sprintf("%s (#%d)", p.title, p.number), base)
	rp.commits[sha].author = login
	rp.refs["heads/"+p.base] = sha
	delete(rp.refs, "heads/"+p.head)
	p.merged, p.state, p.mergeSHA, p.mergeMethod, p.headSHA = true, "closed", sha, "squash", head
	f.touch(rp, p)
	p.mergedAt = p.updatedAt
}

// OpenForkPR opens a pull request into full's base branch from branch of
// the fork forkFull ("someone/infra"), as anyone may, and returns its
// number. The fork's branch may have any name, tfpilot/* included; it is
// not a branch of full. Close it with ClosePR or merge it with
// MergeForkByHand.
func (f *Fake) OpenForkPR(full, forkFull, branch, title string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	p := &pull{number: len(rp.pulls) + 1, title: title, head: branch, base: rp.base, state: "open",
		headRepo: forkFull, headSHA: fmt.Sprintf("%040x", len(rp.pulls)+1)}
	rp.pulls = append(rp.pulls, p)
	f.touch(rp, p)
	return p.number
}

// MergeForkByHand marks fork pull request number of full merged, as a
// maintainer merging it would (the base branch is left as it is: the
// fake does not hold the fork's commits).
func (f *Fake) MergeForkByHand(full string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	p := rp.pullNumber(f, number)
	if p.headRepo == "" {
		f.t.Fatalf("ghfake: MergeForkByHand: #%d of %s is not from a fork", number, full)
	}
	p.merged, p.state, p.mergeMethod = true, "closed", "squash"
	f.touch(rp, p)
	p.mergedAt = p.updatedAt
}

// pullNumber returns pull request number of rp, failing the test if there
// is none. Called with f.mu held.
func (rp *repo) pullNumber(f *Fake, number int) *pull {
	for _, p := range rp.pulls {
		if p.number == number {
			return p
		}
	}
	f.t.Fatalf("ghfake: no pull request #%d in %s/%s", number, rp.owner, rp.name)
	return nil
}

// touch records that p changed now: its updated_at, which "sort=updated"
// lists by. Called with f.mu held.
func (f *Fake) touch(rp *repo, p *pull) {
	last := 0
	for _, o := range rp.pulls {
		last = max(last, o.updated)
	}
	p.updated, p.updatedAt = last+1, f.now()
}

// stamp is a timestamp as the REST API writes it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// pageParams reads per_page (default 30, at most 100) and page (default 1);
// ok is false for a value that is not a positive number.
func pageParams(c *call) (perPage, page int, ok bool) {
	perPage, page = 30, 1
	for _, q := range []struct {
		name string
		v    *int
	}{{"per_page", &perPage}, {"page", &page}} {
		if s := c.query(q.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return 0, 0, false
			}
			*q.v = n
		}
	}
	return min(perPage, 100), page, true
}
