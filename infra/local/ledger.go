package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The GitHub polling ledger is one JSON file, <root>/ledger/github-polls.json,
// written under the lock <root>/locks/ledger.github-polls.lock ("ledger."
// cannot begin a request ID) through a temporary file renamed into place,
// like a queue. Local mode is one process, but two processes sharing the
// data directory still share the budget.

// ledgerFile is the stored polling ledger: what was reserved in the latest
// clock minute anyone reserved in.
type ledgerFile struct {
	Window time.Time `json:"window"`
	Used   int       `json:"used"`
}

// Reserve reserves up to n GitHub polling requests in the minute starting
// at window, of at most budget for that minute across every process
// sharing the store, and returns how many were granted (it implements
// github.PollLedger). A window later than the stored one starts from
// nothing reserved; an earlier one counts against the stored one.
func (s *FileStore) Reserve(ctx context.Context, window time.Time, n, budget int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	unlock, err := s.lock("ledger.github-polls")
	if err != nil {
		return 0, fmt.Errorf("reserve polling requests: %w", err)
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("reserve polling requests: %w", err)
	}
	path := filepath.Join(s.ledger, "github-polls.json")
	var l ledgerFile
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &l); err != nil {
			return 0, fmt.Errorf("decode polling ledger: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("reserve polling requests: %w", err)
	}
	if window.After(l.Window) {
		l = ledgerFile{Window: window.UTC()}
	}
	got := max(min(n, budget-l.Used), 0)
	if got == 0 {
		return 0, nil
	}
	l.Used += got
	if data, err = json.Marshal(l); err != nil {
		return 0, fmt.Errorf("encode polling ledger: %w", err)
	}
	if err := s.renameInto(path, s.ledger, append(data, '\n')); err != nil {
		return 0, fmt.Errorf("save polling ledger: %w", err)
	}
	return got, nil
}
