package ghfake

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// repo is one repository's state. Trees are stored flat (full path → blob
// SHA) and addressed by a hash of their content, so equal trees share a SHA
// as in git.
type repo struct {
	owner, name, base string
	blobs             map[string][]byte
	trees             map[string]map[string]string
	commits           map[string]*commit
	refs              map[string]string // "heads/main" → commit SHA
	pulls             []*pull
	commitSeq         int
	// protection, when set, is why branch protection refuses every merge
	// into the base branch (GitHub answers 405 with it).
	protection string
	// states is the Terraform state of each environment (terraform.go).
	states map[string]*tfState
	// comments are the issue comments of its pull requests (comments.go).
	comments []*comment
}

type commit struct {
	sha, tree, message string
	parents            []string
	author             string // GitHub login; "" for commits made through the API (the app)
	// gitName is the git author name of a commit GitHub links to no
	// account (PushAsGitAuthor): its REST "author" is null.
	gitName string
}

type pull struct {
	number      int
	title, body string
	head, base  string // branch names
	state       string // open, closed
	merged      bool
	mergeSHA    string
	headSHA     string // head when last seen
	mergeMethod string
	// headRepo is the "owner/name" of the fork the pull request comes
	// from; "" when its head branch is in the repository itself.
	headRepo string
	// updated orders the pull requests by their last change (touch), as
	// GitHub's updated_at does; updatedAt and mergedAt are the timestamps.
	updated             int
	updatedAt, mergedAt time.Time
}

// BlobSHA is git's object name for a blob with content b.
func BlobSHA(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (rp *repo) putBlob(b []byte) string {
	sha := BlobSHA(b)
	rp.blobs[sha] = slices.Clone(b)
	return sha
}

func (rp *repo) putTree(t map[string]string) string {
	paths := slices.Sorted(maps.Keys(t))
	h := sha1.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s %s\n", p, t[p])
	}
	sha := hex.EncodeToString(h.Sum(nil))
	rp.trees[sha] = maps.Clone(t)
	return sha
}

func (rp *repo) putCommit(tree, message string, parents ...string) string {
	rp.commitSeq++
	h := sha1.New()
	fmt.Fprintf(h, "commit %d %s %s %v", rp.commitSeq, tree, message, parents)
	sha := hex.EncodeToString(h.Sum(nil))
	rp.commits[sha] = &commit{sha: sha, tree: tree, message: message, parents: parents}
	return sha
}

func (rp *repo) treeOf(commitSHA string) map[string]string {
	if c := rp.commits[commitSHA]; c != nil {
		return rp.trees[c.tree]
	}
	return nil
}

// forkPoint is the newest commit on head's first-parent chain that is also
// on base's first-parent chain.
func (rp *repo) forkPoint(head, base string) string {
	onBase := map[string]bool{}
	for s := base; s != ""; {
		onBase[s] = true
		c := rp.commits[s]
		if c == nil || len(c.parents) == 0 {
			break
		}
		s = c.parents[0]
	}
	for s := head; s != ""; {
		if onBase[s] {
			return s
		}
		c := rp.commits[s]
		if c == nil || len(c.parents) == 0 {
			break
		}
		s = c.parents[0]
	}
	return ""
}

// applyBranch returns base's tree with the changes head made since it forked.
func (rp *repo) applyBranch(head, base string) map[string]string {
	fork := rp.treeOf(rp.forkPoint(head, base))
	ht := rp.treeOf(head)
	out := maps.Clone(rp.treeOf(base))
	for p, sha := range ht {
		if fork[p] != sha {
			out[p] = sha
		}
	}
	for p := range fork {
		if _, ok := ht[p]; !ok {
			delete(out, p)
		}
	}
	return out
}

// AddRepo creates owner/name with one commit on base holding files
// (path → content).
func (f *Fake) AddRepo(owner, name, base string, files map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := &repo{owner: owner, name: name, base: base,
		blobs: map[string][]byte{}, trees: map[string]map[string]string{},
		commits: map[string]*commit{}, refs: map[string]string{}}
	t := map[string]string{}
	for p, c := range files {
		t[p] = rp.putBlob([]byte(c))
	}
	rp.refs["heads/"+base] = rp.putCommit(rp.putTree(t), "initial commit")
	f.repos[owner+"/"+name] = rp
}

func (f *Fake) mustRepo(full string) *repo {
	rp := f.repos[full]
	if rp == nil {
		f.t.Fatalf("ghfake: no repository %s", full)
	}
	return rp
}

// CommitToBranch adds a commit on branch of repo ("owner/name") writing
// files (content "" deletes the path), e.g. to move a base branch.
func (f *Fake) CommitToBranch(full, branch string, files map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	head := rp.refs["heads/"+branch]
	t := maps.Clone(rp.treeOf(head))
	for p, c := range files {
		if c == "" {
			delete(t, p)
			continue
		}
		t[p] = rp.putBlob([]byte(c))
	}
	sha := rp.putCommit(rp.putTree(t), "commit to "+branch, head)
	rp.refs["heads/"+branch] = sha
	return sha
}

// PushAs adds a commit by the GitHub user login on branch of repo
// ("owner/name") writing files, as `git push` by that person would, and
// returns its SHA.
func (f *Fake) PushAs(full, branch, login string, files map[string]string) string {
	sha := f.CommitToBranch(full, branch, files)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepo(full).commits[sha].author = login
	return sha
}

// PushAsGitAuthor adds a commit on branch of repo ("owner/name") writing
// files, whose git author is name with an email no GitHub account has, and
// returns its SHA. GitHub links such a commit to no user: the commit's
// "author" is null and only the git data (which anyone can set) names name.
func (f *Fake) PushAsGitAuthor(full, branch, name string, files map[string]string) string {
	sha := f.CommitToBranch(full, branch, files)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepo(full).commits[sha].gitName = name
	return sha
}

// Branch returns the head commit SHA of branch, or "" when it does not exist.
func (f *Fake) Branch(full, branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mustRepo(full).refs["heads/"+branch]
}

// Parents returns the parent SHAs of commit sha (nil if there is none).
func (f *Fake) Parents(full, sha string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cm := f.mustRepo(full).commits[sha]; cm != nil {
		return slices.Clone(cm.parents)
	}
	return nil
}

// File returns the content of path at branch's head.
func (f *Fake) File(full, branch, path string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	sha, ok := rp.treeOf(rp.refs["heads/"+branch])[path]
	return string(rp.blobs[sha]), ok
}

// CommitCount returns how many commits the repository holds.
func (f *Fake) CommitCount(full string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.mustRepo(full).commits)
}

// PR is a pull request as tests see it.
type PR struct {
	Number      int
	Title, Body string
	Head, Base  string
	State       string
	Merged      bool
	MergeMethod string
}

// PullRequests returns the repository's pull requests, oldest first.
func (f *Fake) PullRequests(full string) []PR {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []PR
	for _, p := range f.mustRepo(full).pulls {
		out = append(out, PR{Number: p.number, Title: p.title, Body: p.body, Head: p.head,
			Base: p.base, State: p.state, Merged: p.merged, MergeMethod: p.mergeMethod})
	}
	return out
}

// ClosePR closes a pull request from the side (someone clicked Close).
func (f *Fake) ClosePR(full string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepo(full)
	for _, p := range rp.pulls {
		if p.number == number {
			p.state = "closed"
			f.touch(rp, p)
		}
	}
}

// ProtectBase makes branch protection of full's base branch refuse merges
// with reason, as GitHub does (405, the reason as the message), until it is
// called again with "".
func (f *Fake) ProtectBase(full, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepo(full).protection = reason
}

func splitRef(ref string) string { return strings.TrimPrefix(ref, "refs/") }
