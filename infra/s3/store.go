package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tfpilot/tfpilot/flow"
)

// Options locate and protect TfPilot's objects.
type Options struct {
	Bucket string
	// Prefix is prepended to every key; end it with "/" for a folder
	// ("tfpilot/"). Empty: the bucket root.
	Prefix string
	// KMSKeyID encrypts objects with SSE-KMS under this key (ID, ARN or
	// alias); empty: SSE-S3 (AES256).
	KMSKeyID string
	// ListConcurrency bounds the GetObject calls List runs at once; 0: 16.
	ListConcurrency int
}

// maxObject bounds what Get reads: a request record is kilobytes, a
// pathological one a few megabytes.
const maxObject = 64 << 20

// Store keeps requests in S3. It implements flow.Store; Rev is the object's
// ETag. It is safe for concurrent use, also by many replicas at once.
type Store struct {
	api API
	opt Options
}

// New returns a Store on client (an *s3.Client from aws-sdk-go-v2).
func New(client API, opt Options) *Store {
	if opt.ListConcurrency <= 0 {
		opt.ListConcurrency = 16
	}
	return &Store{api: client, opt: opt}
}

// Key is the object key of a request's record.
func (s *Store) Key(id string) string { return s.opt.Prefix + "requests/" + id + ".json" }

// Create stores a new request with If-None-Match: *; flow.ErrExists if the
// ID is taken.
func (s *Store) Create(ctx context.Context, r *flow.Request) error {
	if err := checkID(r.ID); err != nil {
		return err
	}
	body, err := marshalRequest(r)
	if err != nil {
		return err
	}
	in := putInput(s.opt, s.Key(r.ID), body)
	in.IfNoneMatch = aws.String("*")
	out, err := s.api.PutObject(ctx, in)
	if err != nil {
		err = translate(ctx, "put", s.Key(r.ID), err)
		if errors.Is(err, flow.ErrConflict) {
			return fmt.Errorf("create %s: %w (%v)", r.ID, flow.ErrExists, err)
		}
		return fmt.Errorf("create %s: %w", r.ID, err)
	}
	r.Rev = aws.ToString(out.ETag)
	return nil
}

// Get loads a request; flow.ErrNotFound if there is none.
func (s *Store) Get(ctx context.Context, id string) (*flow.Request, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	body, etag, err := get(ctx, s.api, s.opt.Bucket, s.Key(id))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	var r flow.Request
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	if r.ID != id {
		return nil, fmt.Errorf("decode request %s: record holds ID %q", id, r.ID)
	}
	r.Rev = etag
	return &r, nil
}

// Update replaces the stored request with If-Match: r.Rev; flow.ErrConflict
// if it changed since r was read, flow.ErrNotFound if there is none.
func (s *Store) Update(ctx context.Context, r *flow.Request) error {
	if err := checkID(r.ID); err != nil {
		return err
	}
	if r.Rev == "" {
		return fmt.Errorf("update %s without a revision (Get it first): %w", r.ID, flow.ErrConflict)
	}
	body, err := marshalRequest(r)
	if err != nil {
		return err
	}
	in := putInput(s.opt, s.Key(r.ID), body)
	in.IfMatch = aws.String(r.Rev)
	out, err := s.api.PutObject(ctx, in)
	if err != nil {
		return fmt.Errorf("update %s: %w", r.ID, translate(ctx, "put", s.Key(r.ID), err))
	}
	r.Rev = aws.ToString(out.ETag)
	return nil
}

// List returns the requests matching f, oldest first (by CreatedAt, then
// ID). S3 cannot filter on content: List reads every record, at most
// Options.ListConcurrency at a time.
func (s *Store) List(ctx context.Context, f flow.Filter) ([]*flow.Request, error) {
	prefix := s.opt.Prefix + "requests/"
	var ids []string
	p := awss3.NewListObjectsV2Paginator(s.api, &awss3.ListObjectsV2Input{Bucket: aws.String(s.opt.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", translate(ctx, "list", prefix, err))
		}
		for _, o := range page.Contents {
			id, ok := strings.CutSuffix(strings.TrimPrefix(aws.ToString(o.Key), prefix), ".json")
			if ok && checkID(id) == nil {
				ids = append(ids, id)
			}
		}
	}

	reqs := make([]*flow.Request, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, s.opt.ListConcurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			reqs[i], errs[i] = s.Get(ctx, id)
		})
	}
	wg.Wait()
	var out []*flow.Request
	for i, r := range reqs {
		switch {
		case errors.Is(errs[i], flow.ErrNotFound):
			// Listed, then gone: nothing deletes records, but a lifecycle rule might.
		case errs[i] != nil:
			return nil, fmt.Errorf("list requests: %w", errs[i])
		case f.Match(r):
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *flow.Request) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// putInput builds a PutObject of a JSON body with the configured encryption;
// the caller adds the condition.
func putInput(opt Options, key string, body []byte) *awss3.PutObjectInput {
	in := &awss3.PutObjectInput{
		Bucket:        aws.String(opt.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/json"),
	}
	if opt.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(opt.KMSKeyID)
	} else {
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
	}
	return in
}

// get reads an object whole, with its ETag.
func get(ctx context.Context, api API, bucket, key string) (body []byte, etag string, err error) {
	out, err := api.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, "", translate(ctx, "get", key, err)
	}
	defer out.Body.Close()
	body, err = io.ReadAll(io.LimitReader(out.Body, maxObject+1))
	if err != nil {
		return nil, "", translate(ctx, "get", key, err)
	}
	if len(body) > maxObject {
		return nil, "", fmt.Errorf("s3 get %s: object larger than %d bytes", key, maxObject)
	}
	return body, aws.ToString(out.ETag), nil
}

// marshalRequest encodes a request as stored: indented JSON, so records stay
// readable in the console.
func marshalRequest(r *flow.Request) ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return append(data, '\n'), nil
}

// checkID rejects IDs that are not UUID-shaped: only lower-case hex digits
// and dashes, at most 64 characters, so an ID never escapes its key prefix.
func checkID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("bad request ID %q: want 1 to 64 characters", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && c != '-' {
			return fmt.Errorf("bad request ID %q: only 0-9, a-f and - are allowed", id)
		}
	}
	return nil
}
