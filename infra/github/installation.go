package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
)

// Installation is what GitHub says of a GitHub App's installation: whose
// App it is and which permissions it was granted.
type Installation struct {
	ID, AppID int64
	AppSlug   string
	// Permissions maps a permission ("contents", "administration") to its
	// level ("read", "write" or "admin"); a permission not granted is absent.
	Permissions map[string]string
}

// GetInstallation reads the installation of o.App, authenticated as the
// App itself (a JWT signed with its private key), as `bot doctor` does to
// check what the serving App may do. It does no other call.
// https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app
func GetInstallation(ctx context.Context, o Options) (Installation, error) {
	if o.App == nil {
		return Installation{}, errors.New("github: installation: no GitHub App configured")
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://api.github.com/"
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil || base.Host == "" || !strings.HasSuffix(base.Path, "/") {
		return Installation{}, fmt.Errorf("github: base URL %q must be an absolute URL ending with \"/\"", o.BaseURL)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	atr, err := ghinstallation.NewAppsTransport(next, o.App.AppID, o.App.PrivateKeyPEM)
	if err != nil {
		return Installation{}, fmt.Errorf("github: app credentials: %w", err)
	}
	g := gh.NewClient(&http.Client{Transport: atr, Timeout: hc.Timeout})
	g.BaseURL = base
	req, err := g.NewRequest(http.MethodGet, fmt.Sprintf("app/installations/%d", o.App.InstallationID), nil)
	if err != nil {
		return Installation{}, err
	}
	var out struct {
		ID          int64             `json:"id"`
		AppID       int64             `json:"app_id"`
		AppSlug     string            `json:"app_slug"`
		Permissions map[string]string `json:"permissions"`
	}
	resp, err := g.Do(ctx, req, &out)
	if err != nil {
		return Installation{}, mapErr(fmt.Sprintf("read installation %d of GitHub App %d", o.App.InstallationID, o.App.AppID), "the App's private key", resp, err)
	}
	return Installation{ID: out.ID, AppID: out.AppID, AppSlug: out.AppSlug, Permissions: out.Permissions}, nil
}
