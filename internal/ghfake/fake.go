package ghfake

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIVersion is the X-GitHub-Api-Version every API call must send.
const APIVersion = "2022-11-28"

// Fake is a GitHub REST API server for tests. Create it with New; it is
// closed with the test.
type Fake struct {
	// URL is the API base URL, ending with "/" (what GITHUB_API_URL holds).
	URL string

	t      testing.TB
	srv    *httptest.Server
	routes []route

	mu       sync.Mutex
	tokens   map[string]bool // accepted bearer tokens
	repos    map[string]*repo
	runs     map[int64]*run // all runs, by ID
	nextID   int64
	counts   map[string]int
	notMod   int
	faults   []*Fault
	now      func() time.Time
	planJSON []byte
	// noRunDetails makes dispatch answer 204 without run details (older GHES).
	noRunDetails bool
	// hideNewRuns hides a dispatched run from listings for this many list calls.
	hideNewRuns int
	remaining   int
	queue       Queue // concurrency.queue of the workflows, see SetQueue
	// refsCreated counts ref creations ("owner/name heads/x"), see Duplicates.
	refsCreated map[string]int
}

// Token is the token New accepts by default.
const Token = "ghp_faketoken000000000000000000000000"

// New starts a fake GitHub API. It accepts the bearer token Token (and
// installation tokens it issued itself).
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{
		t:         t,
		tokens:    map[string]bool{Token: true},
		repos:     map[string]*repo{},
		runs:      map[int64]*run{},
		nextID:    1000,
		counts:    map[string]int{},
		now:       time.Now,
		remaining: 4999,
		queue:     QueueMax,
	}
	f.routes = append(f.table(), f.commentRoutes()...)
	f.routes = append(f.routes, route{method: "GET", pattern: "repos/{owner}/{repo}/compare/{basehead}", h: f.compare},
		route{method: "GET", pattern: "repos/{owner}/{repo}/contents/{*}", h: f.contents})
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL + "/"
	t.Cleanup(f.srv.Close)
	return f
}

// Client returns an HTTP client for the fake's server.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// SetNow sets the clock used for timestamps (run created_at, rate-limit
// resets). The default is time.Now.
func (f *Fake) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// SetNoRunDetails makes workflow dispatch answer 204 with no run details, as
// API versions and GHES releases without return_run_details do.
func (f *Fake) SetNoRunDetails(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noRunDetails = v
}

// HideNewRuns hides the next dispatched run from run listings for n list
// calls, like GitHub's delay between a dispatch and the run showing up.
func (f *Fake) HideNewRuns(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hideNewRuns = n
}

// SetPlanJSON sets the plan.json put into plan artifacts of runs completed
// from now on, instead of the plan of the run's commit against the
// environment's state (nil: that plan again). The state still follows the
// applies.
func (f *Fake) SetPlanJSON(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planJSON = slices.Clone(b)
}

// Calls returns how many requests the endpoint got, keyed like
// "GET /repos/{owner}/{repo}/actions/runs".
func (f *Fake) Calls(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[endpoint]
}

// Counts returns a copy of the per-endpoint request counters.
func (f *Fake) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

// Total returns the number of requests served (all endpoints, downloads
// included).
func (f *Fake) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	return n
}

// NotModified returns how many requests were answered 304.
func (f *Fake) NotModified() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.notMod
}

// ResetCounts zeroes the counters.
func (f *Fake) ResetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = map[string]int{}
	f.notMod = 0
}

// Fault is a misbehaviour injected into matching requests.
type Fault struct {
	// Endpoint selects requests, e.g. "POST /repos/{owner}/{repo}/git/refs";
	// empty matches every request.
	Endpoint string
	// Times is how many matching requests the fault hits (0 means 1).
	Times int
	// Delay is latency added before the request is handled.
	Delay time.Duration
	// Status answers with this status instead of handling the request.
	Status int
	// Header is added to the fault's answer (Retry-After, x-ratelimit-*).
	Header map[string]string
	// Body is the answer's body (JSON), when Status is set.
	Body string
	// Drop closes the connection without an answer.
	Drop bool
	// AfterHandling applies Drop (or Status) after the request was handled,
	// so the server state changed but the client never learns it.
	AfterHandling bool
	// Before, when set, runs just before the request is handled: something
	// that happens on GitHub between the client's last call and this one
	// (a person's push before a dispatch).
	Before func()
}

// Inject adds a fault. Faults are matched in the order they were added.
func (f *Fake) Inject(fl Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.Times == 0 {
		fl.Times = 1
	}
	f.faults = append(f.faults, &fl)
}

func (f *Fake) takeFault(endpoint string) *Fault {
	for i, fl := range f.faults {
		if fl.Endpoint != "" && fl.Endpoint != endpoint {
			continue
		}
		fl.Times--
		if fl.Times <= 0 {
			f.faults = slices.Delete(f.faults, i, i+1)
		}
		return fl
	}
	return nil
}

// route is one endpoint: method, pattern ("repos/{owner}/{repo}/git/refs",
// a trailing "{*}" takes the rest of the path) and handler.
type route struct {
	method, pattern string
	download        bool // pre-signed download: must carry no Authorization
	h               func(c *call)
}

// call is one request being served, with the path parameters matched.
type call struct {
	f      *Fake
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	body   []byte
}

func (r route) match(method, path string) (map[string]string, bool) {
	if method != r.method {
		return nil, false
	}
	pp := strings.Split(r.pattern, "/")
	sp := strings.Split(path, "/")
	params := map[string]string{}
	for i, p := range pp {
		if p == "{*}" {
			if i >= len(sp) {
				return nil, false
			}
			params["*"] = strings.Join(sp[i:], "/")
			return params, true
		}
		if i >= len(sp) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") {
			params[strings.Trim(p, "{}")] = sp[i]
			continue
		}
		if p != sp[i] {
			return nil, false
		}
	}
	return params, len(sp) == len(pp)
}

// ServeHTTP checks, counts, applies faults and routes one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	var rt *route
	var params map[string]string
	for i := range f.routes {
		if p, ok := f.routes[i].match(r.Method, path); ok {
			rt, params = &f.routes[i], p
			break
		}
	}
	if rt == nil {
		f.mu.Lock()
		f.counts[r.Method+" /"+path]++
		f.mu.Unlock()
		f.t.Errorf("ghfake: unexpected %s %s", r.Method, r.URL.RequestURI())
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	endpoint := r.Method + " /" + rt.pattern
	body, _ := io.ReadAll(r.Body)
	f.checkHeaders(r, rt, body)

	f.mu.Lock()
	f.counts[endpoint]++
	fl := f.takeFault(endpoint)
	f.mu.Unlock()

	if fl != nil && fl.Before != nil {
		fl.Before()
	}
	if fl != nil && fl.Delay > 0 {
		time.Sleep(fl.Delay)
	}
	if fl != nil && !fl.AfterHandling && (fl.Drop || fl.Status != 0) {
		f.fail(w, fl)
		return
	}
	c := &call{f: f, w: w, r: r, params: params, body: body}
	if fl != nil && fl.AfterHandling && (fl.Drop || fl.Status != 0) {
		c.w = httptest.NewRecorder() // handled, but the answer is lost
		f.mu.Lock()
		rt.h(c)
		f.mu.Unlock()
		f.fail(w, fl)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateHeaders(w)
	rt.h(c)
}

func (f *Fake) fail(w http.ResponseWriter, fl *Fault) {
	if fl.Drop {
		hj, ok := w.(http.Hijacker)
		if !ok {
			f.t.Errorf("ghfake: cannot hijack the connection")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	for k, v := range fl.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fl.Status)
	_, _ = io.WriteString(w, fl.Body)
}

func (f *Fake) rateHeaders(w http.ResponseWriter) {
	if f.remaining > 0 {
		f.remaining--
	}
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(f.remaining))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.now().Add(time.Hour).Unix(), 10))
}

// checkHeaders fails the test on a request GitHub would treat differently
// than the client expects: wrong auth, API version, Accept or body type.
func (f *Fake) checkHeaders(r *http.Request, rt *route, body []byte) {
	auth := r.Header.Get("Authorization")
	if rt.download {
		if auth != "" {
			f.t.Errorf("ghfake: %s %s: pre-signed download sent an Authorization header", r.Method, r.URL.Path)
		}
		return
	}
	if rt.pattern == "app/installations/{id}/access_tokens" {
		if !strings.HasPrefix(auth, "Bearer ") {
			f.t.Errorf("ghfake: installation token request without an app JWT")
		}
	} else {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			tok, ok = strings.CutPrefix(auth, "token ")
		}
		f.mu.Lock()
		good := ok && f.tokens[tok]
		f.mu.Unlock()
		if !good {
			f.t.Errorf("ghfake: %s %s: bad Authorization header %q", r.Method, r.URL.Path, redactAuth(auth))
		}
		if v := r.Header.Get("X-GitHub-Api-Version"); v != APIVersion {
			f.t.Errorf("ghfake: %s %s: X-GitHub-Api-Version = %q, want %q", r.Method, r.URL.Path, v, APIVersion)
		}
	}
	if a := r.Header.Get("Accept"); !strings.Contains(a, "application/vnd.github") && !strings.Contains(a, "application/json") {
		f.t.Errorf("ghfake: %s %s: Accept = %q", r.Method, r.URL.Path, a)
	}
	if len(body) > 0 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.t.Errorf("ghfake: %s %s: body without Content-Type application/json", r.Method, r.URL.Path)
	}
}

func redactAuth(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// decode reads the JSON body strictly into v: unknown fields fail the test,
// as they would be ignored (or rejected) by GitHub.
func (c *call) decode(v any) bool {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.f.t.Errorf("ghfake: %s %s: bad body %s: %v", c.r.Method, c.r.URL.Path, c.body, err)
		c.error(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// json answers v; a GET answer carries an ETag and a matching If-None-Match
// gets 304 Not Modified.
func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.f.t.Errorf("ghfake: marshal: %v", err)
	}
	if c.r.Method == http.MethodGet && status == http.StatusOK {
		sum := sha1.Sum(b)
		etag := `"` + hex.EncodeToString(sum[:10]) + `"`
		c.w.Header().Set("ETag", etag)
		if c.r.Header.Get("If-None-Match") == etag {
			c.f.notMod++
			c.w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

func (c *call) error(status int, msg string, errs ...map[string]string) {
	body := map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	c.json(status, body)
}

func (c *call) noContent() { c.w.WriteHeader(http.StatusNoContent) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

func (c *call) intParam(name string) (int64, bool) {
	n, err := strconv.ParseInt(c.params[name], 10, 64)
	if err != nil {
		c.error(http.StatusNotFound, "Not Found")
		return 0, false
	}
	return n, true
}

// repo returns the addressed repository or answers 404.
func (c *call) repo() *repo {
	rp := c.f.repos[c.params["owner"]+"/"+c.params["repo"]]
	if rp == nil {
		c.error(http.StatusNotFound, "Not Found")
	}
	return rp
}

func (f *Fake) apiURL(format string, args ...any) string {
	return f.srv.URL + "/" + fmt.Sprintf(format, args...)
}
