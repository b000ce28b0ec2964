package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// ErrPermission means GitHub refused a call for lack of permission (401 or
// a 403 that is not a rate limit). The wrapping message names the missing
// permission, e.g. "contents:write".
var ErrPermission = errors.New("github: permission denied")

// Permissions the adapter needs, named as in a GitHub App's settings.
const (
	permContentsRead  = "contents:read"
	permContentsWrite = "contents:write"
	permPullsWrite    = "pull_requests:write"
	permActionsRead   = "actions:read"
	permActionsWrite  = "actions:write"
)

// RateLimitedError means GitHub's rate limit (primary or secondary) is
// exhausted until Reset, further than the adapter is willing to wait. It
// matches flow.ErrTransient: the call may be repeated after Reset.
type RateLimitedError struct {
	Reset time.Time
	// Secondary is true for a secondary (abuse) limit or a 429.
	Secondary bool
}

func (e *RateLimitedError) Error() string {
	kind := "rate limit"
	if e.Secondary {
		kind = "secondary rate limit"
	}
	return fmt.Sprintf("github: %s exceeded until %s", kind, e.Reset.UTC().Format(time.RFC3339))
}

// Is makes a RateLimitedError match flow.ErrTransient.
func (e *RateLimitedError) Is(target error) bool { return target == flow.ErrTransient }

// statusOf returns the HTTP status and GitHub's message of a failed call
// (0 when no answer came back).
func statusOf(resp *gh.Response, err error) (int, string) {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msgs := []string{er.Message}
		for _, e := range er.Errors {
			if e.Message != "" {
				msgs = append(msgs, e.Message)
			}
		}
		return er.Response.StatusCode, strings.Join(msgs, ": ")
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode, rl.Message
	}
	if resp != nil && resp.Response != nil {
		return resp.StatusCode, http.StatusText(resp.StatusCode)
	}
	return 0, ""
}

// hasMessage reports whether a failed call's message contains s (GitHub's
// "Reference already exists", "A pull request already exists").
func hasMessage(err error, s string) bool {
	_, msg := statusOf(nil, err)
	return strings.Contains(strings.ToLower(msg), strings.ToLower(s))
}

// mapErr translates a go-github error into the adapter's own: flow
// sentinels, *RateLimitedError or ErrPermission, with op as context and perm
// as the permission the call needs. Callers never see go-github types.
func mapErr(op, perm string, resp *gh.Response, err error) error {
	if err == nil {
		return nil
	}
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return fmt.Errorf("%s: %w", op, rl)
	}
	var ghrl *gh.RateLimitError // go-github refused locally: still limited
	if errors.As(err, &ghrl) {
		return fmt.Errorf("%s: %w", op, &RateLimitedError{Reset: ghrl.Rate.Reset.Time})
	}
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) {
		return fmt.Errorf("%s: %w", op, &RateLimitedError{Reset: time.Now().Add(abuse.GetRetryAfter()), Secondary: true})
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	status, msg := statusOf(resp, err)
	switch {
	case status == 0:
		return fmt.Errorf("%s: %v: %w", op, err, flow.ErrTransient)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%s: GitHub rejected the credentials (401 %s): check GITHUB_TOKEN or the GitHub App key: %w", op, msg, ErrPermission)
	case status == http.StatusForbidden:
		return fmt.Errorf("%s: GitHub refused (403 %s): the token or GitHub App needs %s on the repository: %w", op, msg, perm, ErrPermission)
	case status == http.StatusNotFound:
		return fmt.Errorf("%s: %s (for a private repository this can also mean the token lacks %s): %w", op, msg, perm, flow.ErrNotFound)
	case status == http.StatusGone:
		return fmt.Errorf("%s: %s: %w", op, msg, flow.ErrNotFound)
	case status == http.StatusConflict || status == http.StatusUnprocessableEntity || status == http.StatusMethodNotAllowed:
		return fmt.Errorf("%s: %s: %w", op, msg, flow.ErrConflict)
	case status >= 500:
		return fmt.Errorf("%s: GitHub answered %d %s: %w", op, status, msg, flow.ErrTransient)
	}
	return fmt.Errorf("%s: GitHub answered %d: %s", op, status, msg)
}
