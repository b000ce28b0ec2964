package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// maxRateLimitRetries bounds how often one Web API call is retried after
// HTTP 429.
const maxRateLimitRetries = 5

// retry runs call again after a 429, waiting the Retry-After Slack asked
// for, and returns the last error otherwise.
func retry(ctx context.Context, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt == maxRateLimitRetries {
			return err
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pacer spaces posts to one channel (Slack allows about one message per
// second per channel, with short bursts).
type pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  map[string]time.Time
	now   func() time.Time
}

func newPacer(every time.Duration) *pacer {
	return &pacer{every: every, next: map[string]time.Time{}, now: time.Now}
}

// wait blocks until channel may be posted to, reserving the slot.
func (p *pacer) wait(ctx context.Context, channel string) error {
	if p.every <= 0 {
		return nil
	}
	p.mu.Lock()
	now := p.now()
	at := p.next[channel]
	if at.Before(now) {
		at = now
	}
	p.next[channel] = at.Add(p.every)
	if len(p.next) > 10000 { // forget idle channels
		for ch, t := range p.next {
			if t.Before(now) {
				delete(p.next, ch)
			}
		}
	}
	p.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
