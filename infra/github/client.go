package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
)

// Repo is a project's environment repository.
type Repo struct {
	Owner, Name string
	// BaseBranch is the branch changes start from and merge into ("main").
	BaseBranch string
}

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// App authenticates as a GitHub App installation.
type App struct {
	AppID, InstallationID int64
	PrivateKeyPEM         []byte
}

// Options configure a Client. Exactly one of Token and App must be set.
type Options struct {
	// HTTPClient supplies the base transport and timeout (default
	// http.DefaultClient). Pre-signed downloads use its transport without
	// any credentials.
	HTTPClient *http.Client
	// BaseURL is the REST API root, ending with "/" (GitHub Enterprise
	// Server: "https://ghe.example.com/api/v3/"; default api.github.com).
	BaseURL string
	// Token is a personal access or installation token.
	Token string
	// App authenticates as a GitHub App; installation tokens are renewed
	// before they expire.
	App *App
	// Projects maps project names to their environment repositories.
	Projects map[string]Repo
	// PollBudget is how many polling requests (run lists and run reads
	// for Status) a minute the adapter may send across all repositories,
	// shared fairly between the repositories with runs in flight (default
	// DefaultPollBudget, which says why). Idle repositories are not polled.
	// With PollLedger the budget is the installation's, shared by every
	// replica; without, it is this process's.
	PollBudget int
	// PollLedger shares PollBudget between the replicas (the store they
	// share implements it); nil: the budget is this process's (one
	// replica, tests, local mode).
	PollLedger PollLedger
	// PollInterval is how often, at most, one repository is polled
	// (default DefaultPollInterval).
	PollInterval time.Duration
	// Logger is the component logger (default: no logging).
	Logger *zap.Logger
	// Summarize turns a plan.json into a summary (infra/tfplan, injected by
	// cmd/bot). PlanResult fails without it.
	Summarize func(planJSON []byte) (flow.PlanSummary, error)
	// Sleep waits (tests inject a fake); default: a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxAttempts bounds the attempts of one call (default 5).
	MaxAttempts int
	// MaxRateLimitWait is the longest the adapter sleeps for a rate limit;
	// a later reset returns *RateLimitedError at once (default 2 min).
	MaxRateLimitWait time.Duration
	// DispatchKeyInput, when set (e.g. "dispatch_key"), is a workflow_dispatch
	// input that carries flow.Dispatch.Key; the workflows must declare it and
	// put it in their run-name as a separate word. Runs are then found by key
	// exactly, even after a restart. Empty: see Client.Dispatch.
	DispatchKeyInput string
	// MaxPlanJSON bounds a plan artifact, compressed and its plan.json
	// uncompressed (default MaxPlanJSON); a larger plan is refused.
	MaxPlanJSON int64
}

// Client is the GitHub adapter: it implements flow.Repo, flow.Runs and
// flow.Catalogs over the REST API.
type Client struct {
	gh       *gh.Client
	download *http.Client // pre-signed URLs: no credentials
	tr       *transport
	log      *zap.Logger
	projects map[string]Repo
	poll     time.Duration
	polls    *pollBudget
	sleep    func(context.Context, time.Duration) error
	now      func() time.Time
	sum      func([]byte) (flow.PlanSummary, error)
	keyInput string
	maxPlan  int64 // Options.MaxPlanJSON
	appID    int64 // Options.App's, 0 with a token: whose comments are TfPilot's records

	mu         sync.Mutex
	locks      map[string]*sync.Mutex
	etags      map[string]cachedGet
	records    map[string]int64        // "owner/name#n" → ID of TfPilot's record comment
	queueModes queueModes              // workflow file → its concurrency queue mode (queuemode.go)
	trees      map[string]*treeListing // by tree SHA: immutable
	blobs      map[string][]byte       // by blob SHA: immutable
	files      map[string]fileAt       // "owner/name@<commit SHA>:<path>" → FileAt's answer: immutable
	catalogs   map[string]*catalogEntry
	runLists   map[string]*runList
	branches   map[string]branchNote // "owner/name tfpilot/<id>" → what this process saw
	attempts   map[string]time.Time  // dispatch key → last attempt started
	runs       map[string]flow.Run   // dispatch key → run it started
	started    time.Time
}

// cachedGet is the last 200 answer of a conditional GET.
type cachedGet struct {
	etag string
	body []byte
}

// branchNote records what this process did to a request branch.
type branchNote struct {
	head    string
	created time.Time // set when this process created the ref
}

const maxCached = 2048

// New builds a Client. It does no I/O.
func New(o Options) (*Client, error) {
	if (o.Token == "") == (o.App == nil) {
		return nil, errors.New("github: set either Token or App")
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://api.github.com/"
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil || base.Host == "" || !strings.HasSuffix(base.Path, "/") {
		return nil, fmt.Errorf("github: base URL %q must be an absolute URL ending with \"/\"", o.BaseURL)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	var auth http.RoundTripper
	if o.App != nil {
		itr, err := ghinstallation.New(next, o.App.AppID, o.App.InstallationID, o.App.PrivateKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("github: app credentials: %w", err)
		}
		itr.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
		auth = itr
	} else {
		auth = &tokenAuth{next: next, token: o.Token, host: base.Host}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.PollBudget <= 0 {
		o.PollBudget = DefaultPollBudget
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.MaxRateLimitWait <= 0 {
		o.MaxRateLimitWait = 2 * time.Minute
	}
	log := o.Logger.Named("github")
	tr := &transport{next: auth, sleep: o.Sleep, now: o.Now, maxAttempts: o.MaxAttempts,
		maxWait: o.MaxRateLimitWait, baseDelay: 500 * time.Millisecond, maxDelay: 30 * time.Second, log: log}
	tr.remaining.Store(-1)
	g := gh.NewClient(&http.Client{Transport: tr, Timeout: hc.Timeout})
	g.BaseURL = base
	c := &Client{
		gh: g, download: &http.Client{Transport: next, Timeout: hc.Timeout}, tr: tr, log: log,
		projects: o.Projects, poll: o.PollInterval, polls: newPollBudget(o.PollBudget, o.PollInterval, o.Now(), o.PollLedger, log), sleep: o.Sleep, now: o.Now, sum: o.Summarize, keyInput: o.DispatchKeyInput,
		locks: map[string]*sync.Mutex{}, etags: map[string]cachedGet{}, trees: map[string]*treeListing{},
		blobs: map[string][]byte{}, files: map[string]fileAt{}, catalogs: map[string]*catalogEntry{}, runLists: map[string]*runList{},
		branches: map[string]branchNote{}, records: map[string]int64{}, attempts: map[string]time.Time{}, runs: map[string]flow.Run{},
		started: o.Now(),
	}
	if o.App != nil {
		c.appID = o.App.AppID
	}
	c.maxPlan = o.MaxPlanJSON
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Stats returns the call counters and the last rate-limit headers seen.
func (c *Client) Stats() Stats { return c.tr.stats() }

// repo returns the repository of project.
func (c *Client) repo(project string) (Repo, error) {
	r, ok := c.projects[project]
	if !ok {
		return Repo{}, fmt.Errorf("project %q has no repository configured: %w", project, flow.ErrNotFound)
	}
	return r, nil
}

// lockRepo serialises writes to one repository (GitHub's content-creation
// limits punish parallel writes) and makes find-then-create atomic within
// this process. It returns the unlock function.
func (c *Client) lockRepo(r Repo) func() {
	c.mu.Lock()
	l := c.locks[r.String()]
	if l == nil {
		l = &sync.Mutex{}
		c.locks[r.String()] = l
	}
	c.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// get GETs path into v. With conditional, it sends the ETag of the last
// answer and, on 304, decodes the cached body instead (a 304 is free
// against the rate limit). It reports whether the answer was a 304.
func (c *Client) get(ctx context.Context, path string, v any, conditional bool) (bool, *gh.Response, error) {
	req, err := c.gh.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return false, nil, err
	}
	c.mu.Lock()
	prev, havePrev := c.etags[path]
	c.mu.Unlock()
	if conditional && havePrev {
		req.Header.Set("If-None-Match", prev.etag)
	}
	var buf bytes.Buffer
	resp, err := c.gh.Do(ctx, req, &buf)
	if conditional && havePrev && resp != nil && resp.StatusCode == http.StatusNotModified {
		return true, resp, json.Unmarshal(prev.body, v)
	}
	if err != nil {
		return false, resp, err
	}
	if etag := resp.Header.Get("ETag"); conditional && etag != "" {
		c.mu.Lock()
		if len(c.etags) >= maxCached {
			clear(c.etags)
		}
		c.etags[path] = cachedGet{etag: etag, body: bytes.Clone(buf.Bytes())}
		c.mu.Unlock()
	}
	if v == nil {
		return false, resp, nil
	}
	return false, resp, json.Unmarshal(buf.Bytes(), v)
}

// send makes a call with a JSON body and decodes the answer into v.
func (c *Client) send(ctx context.Context, method, path string, body, v any) (*gh.Response, error) {
	req, err := c.gh.NewRequest(method, path, body)
	if err != nil {
		return nil, err
	}
	return c.gh.Do(ctx, req, v)
}

// escapeRef escapes each segment of a ref or branch name for a URL path.
func escapeRef(ref string) string {
	parts := strings.Split(ref, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func repoPath(r Repo, format string, args ...any) string {
	return fmt.Sprintf("repos/%s/%s/", url.PathEscape(r.Owner), url.PathEscape(r.Name)) + fmt.Sprintf(format, args...)
}

func (c *Client) noteBranch(r Repo, branch string, update func(*branchNote)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.branches[r.String()+" "+branch]
	update(&n)
	c.branches[r.String()+" "+branch] = n
}

func (c *Client) branchNote(r Repo, branch string) branchNote {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.branches[r.String()+" "+branch]
}
