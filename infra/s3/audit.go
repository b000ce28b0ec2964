package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tfpilot/tfpilot/flow"
)

// Audit is the append-only audit log in S3: one object per record at
// <prefix>audit/<yyyy>/<mm>/<dd>/<request-id>/<seq>.json, dated by the
// record's time in UTC and written with If-None-Match: *, so a record is
// never replaced. It implements flow.Audit.
type Audit struct {
	api API
	opt Options
}

// NewAudit returns an Audit on client (an *s3.Client from aws-sdk-go-v2).
func NewAudit(client API, opt Options) *Audit { return &Audit{api: client, opt: opt} }

// Key is the object key of an audit record.
func (a *Audit) Key(rec flow.AuditRecord) string {
	return a.opt.Prefix + "audit/" + rec.At.UTC().Format("2006/01/02") + "/" + rec.RequestID + "/" +
		strconv.FormatInt(rec.Seq, 10) + ".json"
}

// Record appends rec. Writing the same (RequestID, Seq) again with the same
// content is a no-op; with different content it fails with flow.ErrExists
// and the first record stays.
func (a *Audit) Record(ctx context.Context, rec flow.AuditRecord) error {
	if err := checkID(rec.RequestID); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if rec.Seq < 0 {
		return fmt.Errorf("audit %s: negative seq %d", rec.RequestID, rec.Seq)
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode audit record %s/%d: %w", rec.RequestID, rec.Seq, err)
	}
	body = append(body, '\n') // deterministic: a retried record is byte-for-byte the first
	key := a.Key(rec)
	in := putInput(a.opt, key, body)
	in.IfNoneMatch = aws.String("*")
	_, err = a.api.PutObject(ctx, in)
	if err == nil {
		return nil
	}
	if err = translate(ctx, "put", key, err); !errors.Is(err, flow.ErrConflict) {
		return fmt.Errorf("audit %s/%d: %w", rec.RequestID, rec.Seq, err)
	}
	// Taken: by this very record (a retry) or by another one.
	old, _, err := get(ctx, a.api, a.opt.Bucket, key)
	switch {
	case errors.Is(err, flow.ErrNotFound):
		// 409 ConditionalRequestConflict: a concurrent write has not landed yet.
		return fmt.Errorf("audit %s/%d: concurrent write in flight: %w", rec.RequestID, rec.Seq, flow.ErrTransient)
	case err != nil:
		return fmt.Errorf("audit %s/%d: %w", rec.RequestID, rec.Seq, err)
	case !bytes.Equal(old, body):
		return fmt.Errorf("audit %s/%d: a different record is already stored: %w", rec.RequestID, rec.Seq, flow.ErrExists)
	}
	return nil
}

// Records returns the audit records of one request, by Seq. It lists the
// days of the log and looks for the request in each, so it is meant for
// tests and the command line, not for a hot path.
func (a *Audit) Records(ctx context.Context, requestID string) ([]flow.AuditRecord, error) {
	if err := checkID(requestID); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	days := []string{a.opt.Prefix + "audit/"}
	for range 3 { // yyyy/, mm/, dd/
		var next []string
		for _, p := range days {
			sub, _, err := a.list(ctx, p, "/")
			if err != nil {
				return nil, err
			}
			next = append(next, sub...)
		}
		days = next
	}
	var out []flow.AuditRecord
	for _, day := range days {
		_, keys, err := a.list(ctx, day+requestID+"/", "")
		if err != nil {
			return nil, err
		}
		for _, key := range keys {
			body, _, err := get(ctx, a.api, a.opt.Bucket, key)
			if err != nil {
				return nil, fmt.Errorf("audit records of %s: %w", requestID, err)
			}
			var rec flow.AuditRecord
			if err := json.Unmarshal(body, &rec); err != nil {
				return nil, fmt.Errorf("audit record %s: %w", key, err)
			}
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(x, y flow.AuditRecord) int {
		switch {
		case x.Seq < y.Seq:
			return -1
		case x.Seq > y.Seq:
			return 1
		}
		return 0
	})
	return out, nil
}

// list returns the common prefixes (with a delimiter) and keys under prefix.
func (a *Audit) list(ctx context.Context, prefix, delimiter string) (prefixes, keys []string, err error) {
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(a.opt.Bucket), Prefix: aws.String(prefix)}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	p := awss3.NewListObjectsV2Paginator(a.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list audit log: %w", translate(ctx, "list", prefix, err))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); strings.HasSuffix(k, ".json") {
				keys = append(keys, k)
			}
		}
	}
	return prefixes, keys, nil
}
