package github

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// PollLedger is the installation's polling budget as every replica sees
// it: the store the replicas share implements it (infra/s3, infra/local),
// cmd/bot wires it in (Options.PollLedger).
type PollLedger interface {
	// Reserve reserves up to n polling requests in the minute starting at
	// window, of at most budget for that minute across all replicas, and
	// returns how many were granted (0..n).
	Reserve(ctx context.Context, window time.Time, n, budget int) (granted int, err error)
}

// DefaultPollBudget is how many polling requests a minute the adapter may
// send across all repositories of the installation: 120, one every half
// second.
//
// GitHub's secondary rate limits count every request, a 304 to a
// conditional request included, and allow at most 900 points a minute for
// the REST API, a GET costing one point and a write five (docs.github.com,
// "Rate limits for the REST API", "About secondary rate limits" and
// "Calculating points for the secondary rate limit"). Polling therefore
// takes at most 120 of those 900 points, leaving the rest to the writes and
// reads of the requests themselves. A 304 is free against the primary limit
// (same page, and "Best practices for using the REST API": conditional
// requests), so unchanged lists cost no primary quota. 120 is also what
// noticing a finished run within seconds needs: with ten repositories with
// runs in flight each is listed about every 5 s (see docs/PERFORMANCE.md,
// BenchmarkRunNotice).
const DefaultPollBudget = 120

// DefaultPollInterval is how often, at most, one repository is polled
// (on average: a turn taken late counts from when it was due): with few
// repositories in flight the budget is not spent just because it could be.
const DefaultPollInterval = 2 * time.Second

const (
	// pollBurst is how many polling requests may go out back to back after
	// a quiet spell. The bucket refills at (budget - pollBurst) a minute,
	// so no minute ever holds more than the budget.
	pollBurst = 2
	// pollLinger is how long a run stays in flight after the last Status
	// call about it: the engine asks every PollInterval (under a second) while
	// it follows a run, so a run nobody asked about for this long is no longer
	// followed (its request was cancelled, its replica stopped).
	pollLinger = 30 * time.Second
	// pollAsking is how recently a repository's runs must have been asked
	// about for it to count as waiting for its turn: a turn goes to the
	// repository waiting longest, not to whichever asks first.
	pollAsking = time.Second
	// pollLedgerRetry is how long polling waits after the ledger failed
	// before asking it again: a store that is down is not asked at every
	// turn of every repository.
	pollLedgerRetry = 5 * time.Second
)

// pollBudget shares the installation's polling budget between the
// repositories with runs in flight. It is a token bucket (the hard limit:
// at most the budget in any minute) plus a fair share: with n repositories
// in flight, each may poll once per n/rate (and never more often than the
// floor), so the busiest repository cannot take the turns of the others.
// A repository nobody follows a run in gets no turns at all.
//
// With a ledger, the bucket is this replica's pace and the ledger the
// installation's budget: a token is spent only with one reserved from the
// ledger for the current clock minute, reserved a batch at a time, so the
// ledger costs a few store calls a minute. Tokens reserved and not spent
// expire with their minute. All replicas together then send at most the
// budget in any clock minute (and one replica at most the budget in any
// minute).
type pollBudget struct {
	rate  float64       // tokens per second
	gap   time.Duration // 1/rate
	floor time.Duration

	ledger    PollLedger // nil: the budget is this process's
	perMinute int
	batch     int // ledger tokens reserved at a time
	log       *zap.Logger

	mu     sync.Mutex
	tokens float64
	at     time.Time // when tokens was last brought up to date
	repos  map[string]*repoPolls
	window time.Time // the clock minute held is for
	held   int       // ledger tokens reserved in window, not spent yet
	dry    time.Time // the ledger is not asked before: its minute is spent, or it failed
}

// repoPolls is what the budget knows of one repository.
type repoPolls struct {
	runs   map[int64]time.Time // run in flight → last Status call about it
	since  time.Time           // when its first run in flight was asked about
	asked  time.Time           // last Status call about any of its runs
	polled time.Time           // last polling request
	urgent bool                // nothing listed yet: poll before its share is up
}

// due is when the repository's next poll is due, given its share: a share
// after its last poll or after it came into flight, whichever is later (a
// run just dispatched is not done within seconds; the others' turns are
// not spent on it).
func (p *repoPolls) due(share time.Duration) time.Time {
	if p.urgent {
		return time.Time{}
	}
	if p.since.After(p.polled) {
		return p.since.Add(share)
	}
	return p.polled.Add(share)
}

// newPollBudget returns the budget of perMinute polling requests; ledger
// (nil: none) shares it with the other replicas.
func newPollBudget(perMinute int, floor time.Duration, now time.Time, ledger PollLedger, log *zap.Logger) *pollBudget {
	rate := float64(max(perMinute-pollBurst, 1)) / 60
	return &pollBudget{rate: rate, gap: time.Duration(float64(time.Second) / rate), floor: floor,
		ledger: ledger, perMinute: perMinute, batch: max(perMinute/24, 1), log: log,
		tokens: pollBurst, at: now, repos: map[string]*repoPolls{}}
}

func (b *pollBudget) repo(name string) *repoPolls {
	p := b.repos[name]
	if p == nil {
		p = &repoPolls{runs: map[int64]time.Time{}}
		b.repos[name] = p
	}
	return p
}

// watch notes that someone follows run id of repo: Status was asked at now.
func (b *pollBudget) watch(repo string, id int64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.repo(repo)
	if len(p.runs) == 0 {
		p.since = now
	}
	p.runs[id] = now
	if now.After(p.asked) {
		p.asked = now
	}
}

// finished forgets run id of repo: it is done, nobody needs to poll for it.
func (b *pollBudget) finished(repo string, id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.repos[repo]; p != nil {
		delete(p.runs, id)
	}
}

// followed returns the runs of repo someone follows.
func (b *pollBudget) followed(repo string) []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []int64
	if p := b.repos[repo]; p != nil {
		for id := range p.runs {
			ids = append(ids, id)
		}
	}
	return ids
}

// turn reports whether repo may send a polling request now, and if so
// spends a token on it. Unless urgent (nothing listed yet: a restart
// resumes following runs), repo must be due (see repoPolls.due). Among
// the repositories waiting for a turn, the one due earliest gets the next
// token.
func (b *pollBudget) turn(ctx context.Context, repo string, now time.Time, urgent bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	inFlight := 0
	for name, p := range b.repos {
		for id, asked := range p.runs {
			if now.Sub(asked) > pollLinger {
				delete(p.runs, id)
			}
		}
		if len(p.runs) > 0 {
			inFlight++
		} else if name != repo && now.Sub(p.polled) > pollLinger {
			delete(b.repos, name)
		}
	}
	share := max(b.floor, time.Duration(max(inFlight, 1))*b.gap)
	p := b.repo(repo)
	p.urgent = p.urgent || urgent
	due := p.due(share)
	if now.Before(due) {
		return false
	}
	for name, o := range b.repos {
		if name != repo && len(o.runs) > 0 && now.Sub(o.asked) <= pollAsking && o.due(share).Before(due) {
			return false // o has waited longer
		}
	}
	if !b.take(ctx, now) {
		return false
	}
	// A turn taken a little late (its follower asks once per poll
	// interval, tokens come one at a time) counts from when it was due, so
	// lateness does not add up; the bucket still bounds the total.
	p.polled, p.urgent = now, false
	if !due.IsZero() && now.Sub(due) < max(b.gap, share/4) {
		p.polled = due
	}
	return true
}

// spare spends a token, if there is one, on a request that completes a
// poll turn just given (a followed run the list lacks).
func (b *pollBudget) spare(ctx context.Context, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.take(ctx, now)
}

func (b *pollBudget) take(ctx context.Context, now time.Time) bool {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(pollBurst, b.tokens+d.Seconds()*b.rate)
		b.at = now
	}
	if b.tokens < 1 || b.ledger != nil && !b.reserve(ctx, now) {
		return false
	}
	b.tokens--
	return true
}

// reserve spends a token of the installation's budget for the current
// clock minute, reserving a batch from the ledger when none is held. It
// calls the ledger holding b.mu: a few times a minute, and the turns it
// would let through wait for its answer anyway.
func (b *pollBudget) reserve(ctx context.Context, now time.Time) bool {
	window := now.UTC().Truncate(time.Minute)
	if !window.Equal(b.window) {
		b.window, b.held = window, 0 // unspent tokens expire with their minute
	}
	if b.held == 0 {
		if now.Before(b.dry) || ctx.Err() != nil {
			return false
		}
		got, err := b.ledger.Reserve(ctx, window, b.batch, b.perMinute)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("reserve polling requests; polling waits", zap.Duration("retry", pollLedgerRetry), zap.Error(err))
				b.dry = now.Add(pollLedgerRetry)
			}
			return false
		}
		b.held = min(max(got, 0), b.batch)
		if b.held < b.batch {
			b.dry = window.Add(time.Minute) // the installation spent this minute's budget
		}
		if b.held == 0 {
			return false
		}
	}
	b.held--
	return true
}
