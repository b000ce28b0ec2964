package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tfpilot/tfpilot/flow"
)

// changeRecord is what the local repository remembers of one change (its
// "pull request"): the number it was given and how it ended.
type changeRecord struct {
	RequestID string `json:"request_id"`
	Number    int    `json:"number"`
	Branch    string `json:"branch"`
	Title     string `json:"title,omitempty"`
	BaseSHA   string `json:"base_sha"`
	HeadSHA   string `json:"head_sha"`
	Merged    bool   `json:"merged,omitempty"`
	MergeSHA  string `json:"merge_sha,omitempty"`
	Closed    bool   `json:"closed,omitempty"`
}

// change is the record as flow sees it.
func (c *changeRecord) change() flow.Change {
	return flow.Change{
		Branch: c.Branch, Number: c.Number, URL: ChangeURL(c.Number),
		HeadSHA: c.HeadSHA, BaseSHA: c.BaseSHA, Merged: c.Merged, Closed: c.Closed,
	}
}

// ChangeURL is how a local change is referred to in chat and in Change.URL:
// there is no web page, so it is the pull request's name.
func ChangeURL(number int) string { return fmt.Sprintf("local PR #%d", number) }

// changeBook is the file .git/tfpilot/changes.json: the local pull requests
// by branch and the last number given out. It lives inside the git directory
// so it travels with the repository and never shows in the working tree.
type changeBook struct {
	Last    int                      `json:"last"`
	Changes map[string]*changeRecord `json:"changes"`
}

func (g *GitRepo) bookPath() string { return filepath.Join(g.stateDir, "changes.json") }

// loadBook reads the change book; a missing book is an empty one.
func (g *GitRepo) loadBook() (*changeBook, error) {
	b := &changeBook{Changes: map[string]*changeRecord{}}
	data, err := os.ReadFile(g.bookPath())
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read change book: %w", err)
	}
	if err := json.Unmarshal(data, b); err != nil {
		return nil, fmt.Errorf("read change book %s: %w", g.bookPath(), err)
	}
	if b.Changes == nil {
		b.Changes = map[string]*changeRecord{}
	}
	return b, nil
}

// saveBook replaces the change book atomically (temporary file, fsync, rename).
func (g *GitRepo) saveBook(b *changeBook) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encode change book: %w", err)
	}
	return writeAtomically(g.bookPath(), append(data, '\n'))
}

// record returns the book's record of branch, adding one with the next
// number when there is none.
func (b *changeBook) record(requestID, branch string) *changeRecord {
	if rec, ok := b.Changes[branch]; ok {
		return rec
	}
	b.Last++
	rec := &changeRecord{RequestID: requestID, Number: b.Last, Branch: branch}
	b.Changes[branch] = rec
	return rec
}

// writeAtomically writes data to path so that a reader sees the old or the
// new content, never a torn one.
func writeAtomically(path string, data []byte) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
