package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tfpilot/tfpilot/flow"
)

// ledgerAttempts bounds the conditional writes of one Reserve: each lost
// race means another replica reserved, and replicas reserve a few times a
// minute.
const ledgerAttempts = 50

// ledger is the stored polling ledger: what was reserved in the latest
// clock minute any replica reserved in.
type ledger struct {
	Window time.Time `json:"window"`
	Used   int       `json:"used"`
}

// LedgerKey is the object key of the GitHub polling ledger,
// <prefix>ledger/github-polls.json.
func (s *Store) LedgerKey() string { return s.opt.Prefix + "ledger/github-polls.json" }

// Reserve reserves up to n GitHub polling requests in the minute starting
// at window, of at most budget for that minute across every replica, and
// returns how many were granted (it implements github.PollLedger). The
// ledger is one object updated with If-Match (If-None-Match: * when there
// is none), retried when another replica wrote first. A window later than
// the stored one starts from nothing reserved; an earlier one (a replica
// whose clock is behind) counts against the stored one.
func (s *Store) Reserve(ctx context.Context, window time.Time, n, budget int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	key := s.LedgerKey()
	for attempt := range ledgerAttempts {
		body, etag, err := get(ctx, s.api, s.opt.Bucket, key)
		var l ledger
		switch {
		case errors.Is(err, flow.ErrNotFound):
			etag = ""
		case err != nil:
			return 0, fmt.Errorf("get polling ledger: %w", err)
		default:
			if err := json.Unmarshal(body, &l); err != nil {
				return 0, fmt.Errorf("decode polling ledger: %w", err)
			}
		}
		if window.After(l.Window) {
			l = ledger{Window: window.UTC()}
		}
		got := max(min(n, budget-l.Used), 0)
		if got == 0 {
			return 0, nil
		}
		l.Used += got
		data, err := json.Marshal(l)
		if err != nil {
			return 0, fmt.Errorf("encode polling ledger: %w", err)
		}
		in := putInput(s.opt, key, append(data, '\n'))
		if etag == "" {
			in.IfNoneMatch = aws.String("*")
		} else {
			in.IfMatch = aws.String(etag)
		}
		_, err = s.api.PutObject(ctx, in)
		if err == nil {
			return got, nil
		}
		// If-Match on a ledger that is gone is a 404: another write
		// raced this one too.
		if err = translate(ctx, "put", key, err); !errors.Is(err, flow.ErrConflict) && !errors.Is(err, flow.ErrNotFound) {
			return 0, fmt.Errorf("save polling ledger: %w", err)
		}
		// Another replica reserved first: read again, after a short,
		// jittered wait so the racers spread out.
		wait := time.Duration(rand.Int64N(int64(time.Duration(min(attempt+1, 10)) * 5 * time.Millisecond)))
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("save polling ledger: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
	return 0, fmt.Errorf("save polling ledger: %d attempts lost to other replicas: %w", ledgerAttempts, flow.ErrConflict)
}
