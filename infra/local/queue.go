package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
)

// The run queue of a project's environment is one JSON file,
// <root>/queues/<project>.<environment>.json, each name path-escaped and
// its dots escaped too, so the name of one queue is never another's. Its
// writes are serialised like a request's, under the lock
// <root>/locks/queue.<project>.<environment>.lock ("queue." cannot begin
// a request ID), and go through a temporary file renamed into place:
// queues are written once per run, not worth a spare, and a rename lets
// readers read without the lock.

// Queue loads the run queue of a project's environment; an empty Queue
// with Rev "" when none was saved. Rev is a hash of the stored bytes.
func (s *FileStore) Queue(ctx context.Context, project, environment string) (*flow.Queue, error) {
	name, err := queueName(project, environment)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get queue %s/%s: %w", project, environment, err)
	}
	data, err := os.ReadFile(filepath.Join(s.queues, name+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return &flow.Queue{Project: project, Environment: environment}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get queue %s/%s: %w", project, environment, err)
	}
	var q flow.Queue
	if err := json.Unmarshal(data, &q); err != nil {
		return nil, fmt.Errorf("decode queue %s/%s: %w", project, environment, err)
	}
	if q.Project != project || q.Environment != environment {
		return nil, fmt.Errorf("decode queue %s/%s: record holds %s/%s", project, environment, q.Project, q.Environment)
	}
	q.Rev = revision(data)
	return &q, nil
}

// SaveQueue stores q if the stored queue's revision is still q.Rev ("":
// none stored), else flow.ErrConflict, and sets q.Rev to the new revision.
func (s *FileStore) SaveQueue(ctx context.Context, q *flow.Queue) error {
	name, err := queueName(q.Project, q.Environment)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return fmt.Errorf("encode queue %s/%s: %w", q.Project, q.Environment, err)
	}
	data = append(data, '\n')
	unlock, err := s.lock("queue." + name)
	if err != nil {
		return fmt.Errorf("save queue %s/%s: %w", q.Project, q.Environment, err)
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save queue %s/%s: %w", q.Project, q.Environment, err)
	}
	path := filepath.Join(s.queues, name+".json")
	old, err := os.ReadFile(path)
	stored := ""
	switch {
	case err == nil:
		stored = revision(old)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("save queue %s/%s: %w", q.Project, q.Environment, err)
	}
	if stored != q.Rev {
		return fmt.Errorf("save queue %s/%s at revision %q (stored %q): %w", q.Project, q.Environment, q.Rev, stored, flow.ErrConflict)
	}
	if err := s.renameInto(path, s.queues, data); err != nil {
		return fmt.Errorf("save queue %s/%s: %w", q.Project, q.Environment, err)
	}
	q.Rev = revision(data)
	return nil
}

// queueName is the file name (without .json) of a project's environment's
// queue. It rejects names that are empty, longer than 64 bytes, or hold a
// "/", "\", ".." or a control character: real names are slugs
// (registry.ValidateTarget), and this guards the path only.
func queueName(project, environment string) (string, error) {
	escaped := make([]string, 0, 2)
	for _, n := range []struct{ what, v string }{{"project", project}, {"environment", environment}} {
		if n.v == "" || len(n.v) > 64 || strings.ContainsAny(n.v, `/\`) || strings.Contains(n.v, "..") ||
			strings.ContainsFunc(n.v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return "", fmt.Errorf("bad queue %s name %q: want 1 to 64 characters without /, \\, .. or control characters", n.what, n.v)
		}
		escaped = append(escaped, strings.ReplaceAll(url.PathEscape(n.v), ".", "%2E"))
	}
	return escaped[0] + "." + escaped[1], nil
}
