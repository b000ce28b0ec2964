package ghfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps the fake's complaints instead of
// failing, so the checks themselves can be tested.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) complaints() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

func TestFakeChecksRequests(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		wantStatus               int
		wantComplaint            string
	}{
		{name: "good", method: "GET", path: "repos/o/r/branches/main", wantStatus: 200},
		{name: "unknown endpoint", method: "GET", path: "repos/o/r/hooks", wantStatus: 404, wantComplaint: "unexpected GET"},
		{name: "no API version", method: "GET", path: "repos/o/r/branches/main", header: map[string]string{"X-GitHub-Api-Version": ""},
			wantStatus: 200, wantComplaint: "X-GitHub-Api-Version"},
		{name: "bad token", method: "GET", path: "repos/o/r/branches/main", header: map[string]string{"Authorization": "Bearer nope"},
			wantStatus: 200, wantComplaint: "bad Authorization"},
		{name: "unknown body field", method: "POST", path: "repos/o/r/git/refs", body: `{"ref":"refs/heads/x","sha":"1","force":true}`,
			wantStatus: 400, wantComplaint: "unknown field"},
		{name: "download with credentials", method: "GET", path: "_download/artifacts/1", wantStatus: 404, wantComplaint: "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			f := New(rec)
			f.AddRepo("o", "r", "main", map[string]string{"a.txt": "a"})
			req, _ := http.NewRequest(tt.method, f.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+Token)
			req.Header.Set("X-GitHub-Api-Version", APIVersion)
			req.Header.Set("Accept", "application/vnd.github.v3+json")
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := f.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			got := rec.complaints()
			if (tt.wantComplaint == "") != (got == "") || !strings.Contains(got, tt.wantComplaint) {
				t.Errorf("complaints %q, want one containing %q", got, tt.wantComplaint)
			}
		})
	}
}

func TestFakeETag(t *testing.T) {
	f := New(t)
	f.AddRepo("o", "r", "main", nil)
	get := func(etag string) *http.Response {
		req, _ := http.NewRequest("GET", f.URL+"repos/o/r/branches/main", nil)
		req.Header.Set("Authorization", "Bearer "+Token)
		req.Header.Set("X-GitHub-Api-Version", APIVersion)
		req.Header.Set("Accept", "application/vnd.github.v3+json")
		req.Header.Set("If-None-Match", etag)
		resp, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	first := get("")
	if second := get(first.Header.Get("ETag")); second.StatusCode != http.StatusNotModified {
		t.Errorf("same ETag: %d, want 304", second.StatusCode)
	}
	f.CommitToBranch("o/r", "main", map[string]string{"b": "b"})
	if third := get(first.Header.Get("ETag")); third.StatusCode != http.StatusOK {
		t.Errorf("after a commit: %d, want 200", third.StatusCode)
	}
	if got := f.Calls("GET /repos/{owner}/{repo}/branches/{*}"); got != 3 {
		t.Errorf("counted %d calls, want 3", got)
	}
}
