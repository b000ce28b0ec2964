package github

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Stats counts the adapter's GitHub traffic since New.
type Stats struct {
	// Calls is every HTTP request sent to the API (retries and 304s included;
	// pre-signed downloads of logs and artifacts are not API calls).
	Calls int64
	// Writes is the part of Calls that were POST, PUT, PATCH or DELETE.
	Writes int64
	// Retries is how many of Calls were repeats after a fault or rate limit.
	Retries int64
	// NotModified is how many answers were 304 (free against the rate limit).
	NotModified int64
	// RateLimitRemaining is the last x-ratelimit-remaining seen (-1: none yet).
	RateLimitRemaining int64
	// RateLimitReset is the last x-ratelimit-reset seen.
	RateLimitReset time.Time
}

// transport is the fault and rate-limit layer under go-github. It counts
// every call and retries:
//   - a rate-limited answer (429, or 403 that is a primary or secondary rate
//     limit) after Retry-After or x-ratelimit-reset, any method: the call was
//     not processed; a wait longer than maxWait returns *RateLimitedError
//     without sleeping;
//   - a 5xx answer or a network error, with exponential backoff and full
//     jitter, for idempotent methods (GET, HEAD, PUT, PATCH, DELETE) and for
//     POSTs marked with retryWrites. Those are only the POSTs whose caller
//     re-checks existence or whose duplicate is harmless (content-addressed
//     trees, orphan commits, refs and PRs answering 422 "already exists").
//     A workflow dispatch is never retried blindly: a lost answer may have
//     started a run, so Dispatch looks for it first.
type transport struct {
	next        http.RoundTripper
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	maxAttempts int
	maxWait     time.Duration
	baseDelay   time.Duration
	maxDelay    time.Duration
	log         *zap.Logger

	calls, writes, retries, notModified atomic.Int64
	remaining, reset                    atomic.Int64
}

type ctxKey int

const retryWritesKey ctxKey = 1

// retryWrites marks ctx so that the transport may repeat POSTs made with it.
func retryWrites(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryWritesKey, true)
}

func (t *transport) stats() Stats {
	s := Stats{Calls: t.calls.Load(), Writes: t.writes.Load(), Retries: t.retries.Load(),
		NotModified: t.notModified.Load(), RateLimitRemaining: t.remaining.Load()}
	if r := t.reset.Load(); r > 0 {
		s.RateLimitReset = time.Unix(r, 0)
	}
	return s
}

func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// RoundTrip sends req, retrying as the type comment says.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	retryable := req.Method != http.MethodPost || ctx.Value(retryWritesKey) != nil
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.Body != nil && req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
			t.retries.Add(1)
		}
		t.calls.Add(1)
		if isWrite(req.Method) {
			t.writes.Add(1)
		}
		resp, err := t.next.RoundTrip(r)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || !retryable || attempt >= t.maxAttempts {
				return nil, err
			}
			wait = t.backoff(attempt)
			t.log.Debug("github call failed, retrying", zap.String("method", req.Method),
				zap.String("path", req.URL.Path), zap.Int("attempt", attempt), zap.Error(err))
		case isRateLimited(resp):
			t.observe(resp)
			w, reset, secondary := t.rateWait(resp, attempt)
			drain(resp)
			if w > t.maxWait || attempt >= t.maxAttempts {
				return nil, &RateLimitedError{Reset: reset, Secondary: secondary}
			}
			wait = w
			t.log.Warn("github rate limited, waiting", zap.String("path", req.URL.Path),
				zap.Duration("wait", wait), zap.Bool("secondary", secondary))
		case resp.StatusCode >= 500 && retryable && attempt < t.maxAttempts:
			t.observe(resp)
			drain(resp)
			wait = t.backoff(attempt)
			t.log.Debug("github 5xx, retrying", zap.String("method", req.Method),
				zap.String("path", req.URL.Path), zap.Int("status", resp.StatusCode), zap.Int("attempt", attempt))
		default:
			t.observe(resp)
			if resp.StatusCode == http.StatusNotModified {
				t.notModified.Add(1)
			}
			return resp, nil
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// backoff is exponential with full jitter: uniform in [0, min(cap, base·2^(n-1))].
func (t *transport) backoff(attempt int) time.Duration {
	d := t.baseDelay << (attempt - 1)
	if d > t.maxDelay || d <= 0 {
		d = t.maxDelay
	}
	return rand.N(d + 1)
}

// rateWait says how long a rate-limited answer asks to wait: Retry-After,
// else x-ratelimit-reset when remaining is 0, else (a secondary limit
// without headers) at least a minute, doubling per attempt.
func (t *transport) rateWait(resp *http.Response, attempt int) (time.Duration, time.Time, bool) {
	now := t.now()
	secondary := resp.StatusCode == http.StatusTooManyRequests || resp.Header.Get("X-RateLimit-Remaining") != "0"
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		w := time.Duration(s) * time.Second
		return w, now.Add(w), secondary
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if r, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			reset := time.Unix(r, 0)
			return max(reset.Sub(now), 0) + time.Second, reset, false
		}
	}
	w := time.Minute << (attempt - 1)
	return w, now.Add(w), true
}

// isRateLimited reports a 429, or a 403 that is a rate limit rather than a
// permission problem (remaining 0, Retry-After, or GitHub's message).
func isRateLimited(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
	default:
		return false
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "" {
		return true
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	s := strings.ToLower(string(b))
	return strings.Contains(s, "secondary-rate-limits") || strings.Contains(s, "rate limit")
}

func (t *transport) observe(resp *http.Response) {
	if v, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Remaining"), 10, 64); err == nil {
		t.remaining.Store(v)
	}
	if v, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		t.reset.Store(v)
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// tokenAuth adds the bearer token to calls to the API host only.
type tokenAuth struct {
	next  http.RoundTripper
	token string
	host  string
}

func (a *tokenAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != a.host {
		return a.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+a.token)
	return a.next.RoundTrip(r)
}
