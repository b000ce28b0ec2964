package github

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// queueModeTTL is how long a workflow's concurrency queue mode is trusted
// before its file is read again.
const queueModeTTL = 10 * time.Minute

// queueModes caches the concurrency queue mode of each workflow file.
type queueModes struct {
	mu    sync.Mutex
	modes map[string]queueModeAt
}

type queueModeAt struct {
	max bool
	at  time.Time
}

// queueMax reports whether workflow file path of r says `queue: max` in its
// concurrency block, read from the base branch (cached for queueModeTTL).
// Under queue: max GitHub cancels no pending run to make room for a newer
// one (it keeps up to 100 in order; a newcomer beyond that is cancelled
// itself), so a pending run found cancelled was cancelled by a person, and
// dispatching it again would overrule them. Under queue: single (GitHub's
// default, also when the key is absent or the file cannot be found) a
// newer run does cancel the pending one ("Control the concurrency of
// workflows and jobs", docs.github.com).
func (c *Client) queueMax(ctx context.Context, r Repo, path string) (bool, error) {
	key := r.String() + " " + path
	c.queueModes.mu.Lock()
	m, ok := c.queueModes.modes[key]
	c.queueModes.mu.Unlock()
	if ok && c.now().Sub(m.at) < queueModeTTL {
		return m.max, nil
	}
	b, err := c.FileAtBase(ctx, r, path)
	if err != nil && !errors.Is(err, flow.ErrNotFound) {
		return false, err
	}
	m = queueModeAt{max: concurrencyQueue(string(b)) == "max", at: c.now()}
	c.queueModes.mu.Lock()
	if c.queueModes.modes == nil {
		c.queueModes.modes = map[string]queueModeAt{}
	}
	c.queueModes.modes[key] = m
	c.queueModes.mu.Unlock()
	return m.max, nil
}

// concurrencyQueue is the value of `queue:` in a workflow's top-level
// concurrency block ("" when there is none). A line scan is enough for the
// block shape our workflows and GitHub's documentation use:
//
//	concurrency:
//	  group: …
//	  queue: max
func concurrencyQueue(workflow string) string {
	in := false
	for _, line := range strings.Split(workflow, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		top := !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t")
		switch {
		case top:
			in = strings.HasPrefix(trimmed, "concurrency:")
		case in:
			if v, ok := strings.CutPrefix(trimmed, "queue:"); ok {
				v, _, _ = strings.Cut(v, "#")
				return strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return ""
}
