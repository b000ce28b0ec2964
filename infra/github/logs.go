package github

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// tailLines is how many lines of a failed job's log reach the user.
const tailLines = 20

// failure describes a failed run: the failing job and step and the last
// lines of that job's log, redacted.
func (c *Client) failure(ctx context.Context, r Repo, runID int64) (string, error) {
	var jobs gh.Jobs
	if _, resp, err := c.get(ctx, repoPath(r, "actions/runs/%d/jobs?filter=latest", runID), &jobs, false); err != nil {
		return "", mapErr(fmt.Sprintf("list jobs of run %d", runID), permActionsRead, resp, err)
	}
	var job *gh.WorkflowJob
	for _, j := range jobs.Jobs {
		if j.GetConclusion() == "failure" || j.GetConclusion() == "timed_out" {
			job = j
			break
		}
	}
	if job == nil {
		return "the run failed before any job failed (see the run page)", nil
	}
	step := ""
	for _, s := range job.Steps {
		if s.GetConclusion() == "failure" || s.GetConclusion() == "timed_out" {
			step = s.GetName()
			break
		}
	}
	head := fmt.Sprintf("job %q failed", job.GetName())
	if step != "" {
		head += fmt.Sprintf(" at step %q", step)
	}
	log, err := c.jobLog(ctx, r, job.GetID())
	if err != nil {
		return head, err
	}
	return head + ":\n" + Tail(Redact(log), tailLines), nil
}

// jobLog downloads a job's log: the API answers 302 to a pre-signed URL,
// fetched at once without credentials.
func (c *Client) jobLog(ctx context.Context, r Repo, jobID int64) (string, error) {
	u, resp, err := c.gh.Actions.GetWorkflowJobLogs(ctx, r.Owner, r.Name, jobID, 0)
	if err != nil {
		return "", mapErr(fmt.Sprintf("read log of job %d", jobID), permActionsRead, resp, err)
	}
	b, err := c.fetch(ctx, u.String(), 8<<20)
	return string(b), err
}

// fetch GETs a pre-signed URL with the plain client (no Authorization
// header ever goes to the storage host), reading at most limit bytes.
func (c *Client) fetch(ctx context.Context, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.download.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download: storage answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("download: larger than %d bytes: %w", limit, errTooLarge)
	}
	return b, nil
}

var (
	logTimestamp = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ?`)
	ansi         = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	// secrets are replaced whole; keyed secrets keep their key.
	secrets = []*regexp.Regexp{
		regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`),
		regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
		regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{20,}\b`),
		regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,}\b`),
		regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{6,}`),
		regexp.MustCompile(`\bxapp-[A-Za-z0-9-]{6,}`),
		regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}`),
		regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`), // JWT
		regexp.MustCompile(`(?m)^\s*[A-Za-z0-9+/]{40,}={0,2}\s*$`),                            // a bare base64 line (key material)
	}
	keyed = []*regexp.Regexp{
		regexp.MustCompile(`(?i)((?:password|passwd|pwd)\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)`),
		regexp.MustCompile(`(?i)((?:secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[A-Za-z0-9_-]*["']?\s*[=:]?\s*["']?)([A-Za-z0-9+/=_.-]{16,})`),
	}
)

// Redacted replaces a secret in a log.
const Redacted = "[REDACTED]"

// Redact removes from a log everything that looks like a secret: AWS access
// keys, GitHub and Slack tokens, bearer credentials, JWTs, private keys,
// long base64 values after secret/token/key words, password=… values. It
// also strips Actions timestamps and terminal colour codes.
func Redact(log string) string {
	log = ansi.ReplaceAllString(log, "")
	log = logTimestamp.ReplaceAllString(log, "")
	for _, re := range secrets {
		log = re.ReplaceAllString(log, Redacted)
	}
	for _, re := range keyed {
		log = re.ReplaceAllString(log, "${1}"+Redacted)
	}
	return log
}

// Tail returns the last n non-empty lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	out := make([]string, 0, n)
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			out = append(out, lines[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return strings.Join(out, "\n")
}
