package ghfake

import (
	"net/http"
	"strings"
	"testing"
)

// TestSettingsWritesNeedAdmin checks that the serving credentials cannot
// change settings (GitHub answers 403 without Administration: write) and
// that an administrator's token can.
func TestSettingsWritesNeedAdmin(t *testing.T) {
	f := New(t)
	f.AddRepo("acme", "infra", "main", map[string]string{"README.md": "x"})
	s := NewSettings(f)
	put := func(token string) int {
		req, err := http.NewRequest("PUT", s.URL+"repos/acme/infra/environments/prod-apply",
			strings.NewReader(`{"deployment_branch_policy":{"protected_branches":false,"custom_branch_policies":true}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Api-Version", APIVersion)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put(Token); got != http.StatusForbidden {
		t.Errorf("PUT environment with the serving token: %d, want 403", got)
	}
	if got := put(AdminToken); got != http.StatusOK {
		t.Errorf("PUT environment with the admin token: %d, want 200", got)
	}
}
