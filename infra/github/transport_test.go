package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

const getRef = "GET /repos/{owner}/{repo}/git/ref/{*}"

// TestTransportFaults drives one read (ChangeStatus: GET ref, GET branch)
// through faults on its first call and checks the waits, attempts and error.
func TestTransportFaults(t *testing.T) {
	secondary := `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	tests := []struct {
		name      string
		fault     func(now time.Time) ghfake.Fault
		wantSlept []time.Duration // nil: backoff with jitter, only counted
		wantTries int
		wantErr   error
		wantReset time.Duration // for a RateLimitedError
	}{
		{name: "403 secondary with Retry-After",
			fault: func(time.Time) ghfake.Fault {
				return ghfake.Fault{Endpoint: getRef, Status: 403, Body: secondary, Header: map[string]string{"Retry-After": "30"}}
			},
			wantSlept: []time.Duration{30 * time.Second}, wantTries: 2},
		{name: "403 secondary without headers waits a minute",
			fault:     func(time.Time) ghfake.Fault { return ghfake.Fault{Endpoint: getRef, Status: 403, Body: secondary} },
			wantSlept: []time.Duration{time.Minute}, wantTries: 2},
		{name: "429 Retry-After",
			fault: func(time.Time) ghfake.Fault {
				return ghfake.Fault{Endpoint: getRef, Status: 429, Body: `{"message":"Too Many Requests"}`, Header: map[string]string{"Retry-After": "5"}}
			},
			wantSlept: []time.Duration{5 * time.Second}, wantTries: 2},
		{name: "primary limit resets soon",
			fault: func(now time.Time) ghfake.Fault {
				return ghfake.Fault{Endpoint: getRef, Status: 403, Body: `{"message":"API rate limit exceeded"}`, Header: map[string]string{
					"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(40*time.Second).Unix(), 10)}}
			},
			wantSlept: []time.Duration{41 * time.Second}, wantTries: 2},
		{name: "primary limit resets in an hour: no sleep",
			fault: func(now time.Time) ghfake.Fault {
				return ghfake.Fault{Endpoint: getRef, Status: 403, Body: `{"message":"API rate limit exceeded"}`, Header: map[string]string{
					"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}}
			},
			wantSlept: []time.Duration{}, wantTries: 1, wantErr: flow.ErrTransient, wantReset: time.Hour},
		{name: "5xx twice",
			fault:     func(time.Time) ghfake.Fault { return ghfake.Fault{Endpoint: getRef, Status: 502, Times: 2} },
			wantTries: 3},
		{name: "5xx forever: bounded",
			fault:     func(time.Time) ghfake.Fault { return ghfake.Fault{Endpoint: getRef, Status: 503, Times: 100} },
			wantTries: 5, wantErr: flow.ErrTransient},
		{name: "dropped connection",
			fault:     func(time.Time) ghfake.Fault { return ghfake.Fault{Endpoint: getRef, Drop: true} },
			wantTries: 2},
		{name: "permission",
			fault: func(time.Time) ghfake.Fault {
				return ghfake.Fault{Endpoint: getRef, Status: 403, Body: `{"message":"Resource not accessible by integration"}`}
			},
			wantSlept: []time.Duration{}, wantTries: 1, wantErr: ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ch := mustOpen(t, e.c, spec(fileContent))
			e.f.ResetCounts()
			start := e.clk.Now()
			e.f.Inject(tt.fault(start))
			sleptBefore := len(e.clk.Slept())
			_, err := e.c.ChangeStatus(context.Background(), project, ch)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n := e.f.Calls(getRef); n != tt.wantTries {
				t.Errorf("%d attempts, want %d", n, tt.wantTries)
			}
			slept := e.clk.Slept()[sleptBefore:]
			if tt.wantSlept != nil {
				if diff := cmp.Diff(tt.wantSlept, slept, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("sleeps (-want +got):\n%s", diff)
				}
			} else {
				for _, d := range slept {
					if d < 0 || d > 30*time.Second {
						t.Errorf("backoff %v outside [0, 30s]", d)
					}
				}
			}
			var rl *RateLimitedError
			if tt.wantReset > 0 {
				if !errors.As(err, &rl) || rl.Reset.Unix() != start.Add(tt.wantReset).Unix() {
					t.Errorf("err = %#v, want RateLimitedError reset at +%v", err, tt.wantReset)
				}
			}
			if errors.Is(err, ErrPermission) && !strings.Contains(err.Error(), "contents:read") {
				t.Errorf("permission error does not name the permission: %v", err)
			}
		})
	}
}

func TestPermissionNamesTheScope(t *testing.T) {
	tests := []struct {
		endpoint, want string
		call           func(t *testing.T, e *env) error
	}{
		{"POST /repos/{owner}/{repo}/git/trees", "contents:write", func(t *testing.T, e *env) error {
			_, err := e.c.OpenChange(context.Background(), spec(fileContent))
			return err
		}},
		{"POST /repos/{owner}/{repo}/pulls", "pull_requests:write", func(t *testing.T, e *env) error {
			_, err := e.c.OpenChange(context.Background(), spec(fileContent))
			return err
		}},
		{dispatchEndpoint, "actions:write", func(t *testing.T, e *env) error {
			mustOpen(t, e.c, spec(fileContent))
			_, err := e.c.Dispatch(context.Background(), planDispatch())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			e := newEnv(t)
			e.f.Inject(ghfake.Fault{Endpoint: tt.endpoint, Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
			err := tt.call(t, e)
			if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrPermission naming %s", err, tt.want)
			}
		})
	}
}

func TestWritesNotRetriedBlindly(t *testing.T) {
	e := newEnv(t)
	mustOpen(t, e.c, spec(fileContent))
	e.f.Inject(ghfake.Fault{Endpoint: dispatchEndpoint, Status: 502, Times: 5})
	if _, err := e.c.Dispatch(context.Background(), planDispatch()); !errors.Is(err, flow.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
	if n := e.f.Calls(dispatchEndpoint); n != 1 {
		t.Errorf("dispatch sent %d times after a 502, want 1", n)
	}
}

func TestGitHubApp(t *testing.T) {
	e := newEnv(t)
	e.f.SetNow(time.Now) // ghinstallation checks token expiry against the real clock
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	c, err := New(Options{HTTPClient: e.f.Client(), BaseURL: e.f.URL, Logger: zaptest.NewLogger(t),
		App:      &App{AppID: 1, InstallationID: 2, PrivateKeyPEM: pemKey},
		Projects: map[string]Repo{project: {Owner: "acme", Name: "infra", BaseBranch: "main"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.Catalog(context.Background(), project); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.f.Calls("POST /app/installations/{id}/access_tokens"); n != 1 {
		t.Errorf("%d installation tokens fetched, want 1 (reused until it expires)", n)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"no credentials", Options{}},
		{"both credentials", Options{Token: "x", App: &App{}}},
		{"base URL without slash", Options{Token: "x", BaseURL: "https://ghe.example.com/api/v3"}},
		{"bad app key", Options{App: &App{AppID: 1, InstallationID: 1, PrivateKeyPEM: []byte("nope")}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.o); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
}
