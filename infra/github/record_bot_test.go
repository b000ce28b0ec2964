package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestRecordIgnoresOtherBots: a writer's workflow comments on TfPilot's
// pull request as github-actions[bot] with the record's marker, after
// TfPilot's record. A restarted TfPilot (App mode) must update its own
// record, not adopt that comment — which its author could edit afterwards
// to show reviewers approvals nobody gave.
func TestRecordIgnoresOtherBots(t *testing.T) {
	e := newEnv(t)
	e.f.SetNow(time.Now) // ghinstallation checks token expiry against the real clock
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	app := func() *Client {
		c, err := New(Options{HTTPClient: e.f.Client(), BaseURL: e.f.URL, Logger: zaptest.NewLogger(t),
			App:      &App{AppID: ghfake.AppID, InstallationID: 2, PrivateKeyPEM: pemKey},
			Projects: map[string]Repo{project: {Owner: "acme", Name: "infra", BaseBranch: "main"}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := t.Context()
	ch := mustOpen(t, e.c, spec(fileContent))
	body := func(s string) string { return flow.RecordMarker + "\n" + s }
	if err := app().RecordOnChange(ctx, project, ch, body("planned")); err != nil {
		t.Fatal(err)
	}
	forged := body("approved by alice and bob")
	e.f.CommentAs(fullRepo, ch.Number, "github-actions[bot]", forged)
	if err := app().RecordOnChange(ctx, project, ch, body("approved by carol")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{body("approved by carol"), forged}, e.f.Comments(fullRepo, ch.Number)); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
}
