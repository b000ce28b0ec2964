package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tfpilot/tfpilot/flow"
)

// QueueKey is the object key of the run queue of a project's environment,
// <prefix>queues/<project>/<environment>.json, each name path-escaped.
func (s *Store) QueueKey(project, environment string) string {
	return s.opt.Prefix + "queues/" + url.PathEscape(project) + "/" + url.PathEscape(environment) + ".json"
}

// Queue loads the run queue of a project's environment; an empty Queue
// with Rev "" when none was saved. Rev is the object's ETag.
func (s *Store) Queue(ctx context.Context, project, environment string) (*flow.Queue, error) {
	if err := checkQueueNames(project, environment); err != nil {
		return nil, err
	}
	key := s.QueueKey(project, environment)
	body, etag, err := get(ctx, s.api, s.opt.Bucket, key)
	if errors.Is(err, flow.ErrNotFound) {
		return &flow.Queue{Project: project, Environment: environment}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get queue %s/%s: %w", project, environment, err)
	}
	var q flow.Queue
	if err := json.Unmarshal(body, &q); err != nil {
		return nil, fmt.Errorf("decode queue %s/%s: %w", project, environment, err)
	}
	if q.Project != project || q.Environment != environment {
		return nil, fmt.Errorf("decode queue %s/%s: record holds %s/%s", project, environment, q.Project, q.Environment)
	}
	q.Rev = etag
	return &q, nil
}

// SaveQueue stores q with If-None-Match: * when q.Rev is "" and If-Match:
// q.Rev otherwise; flow.ErrConflict if the stored queue is not q.Rev (or
// is gone). It sets q.Rev to the new ETag.
func (s *Store) SaveQueue(ctx context.Context, q *flow.Queue) error {
	if err := checkQueueNames(q.Project, q.Environment); err != nil {
		return err
	}
	body, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return fmt.Errorf("encode queue %s/%s: %w", q.Project, q.Environment, err)
	}
	key := s.QueueKey(q.Project, q.Environment)
	in := putInput(s.opt, key, append(body, '\n'))
	if q.Rev == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(q.Rev)
	}
	out, err := s.api.PutObject(ctx, in)
	if err != nil {
		err = translate(ctx, "put", key, err)
		if errors.Is(err, flow.ErrNotFound) {
			// If-Match on a queue that is gone: S3 answers 404, and the
			// port says the revision read is not the stored one.
			return fmt.Errorf("save queue %s/%s: %w (%v)", q.Project, q.Environment, flow.ErrConflict, err)
		}
		return fmt.Errorf("save queue %s/%s: %w", q.Project, q.Environment, err)
	}
	q.Rev = aws.ToString(out.ETag)
	return nil
}

// checkQueueNames rejects a project or environment name that could leave
// its key segment: empty, with a "/", "\" or "..", or a control character.
// Real names are slugs (registry.ValidateTarget); this guards the key only.
func checkQueueNames(project, environment string) error {
	for _, n := range []struct{ what, v string }{{"project", project}, {"environment", environment}} {
		if n.v == "" || len(n.v) > 64 || strings.ContainsAny(n.v, `/\`) || strings.Contains(n.v, "..") ||
			strings.ContainsFunc(n.v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fmt.Errorf("bad queue %s name %q: want 1 to 64 characters without /, \\, .. or control characters", n.what, n.v)
		}
	}
	return nil
}
