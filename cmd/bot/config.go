package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tfpilot/tfpilot/infra/github"
)

// serveConfig is the validated configuration of `bot serve`, read from the
// environment (the variables of README.md's Configuration table; only
// cmd/bot reads it, docs/ARCHITECTURE.md#packages) with flags overriding it.
type serveConfig struct {
	SlackAppToken string
	SlackBotToken string
	SlackAPIURL   string // optional; must end with "/"

	GitHubToken          string
	GitHubAppID          int64
	GitHubInstallationID int64
	GitHubPrivateKeyFile string
	GitHubAPIURL         string // optional; must end with "/"
	GitHubPollBudget     int    // polling requests a minute; 0: github.DefaultPollBudget

	PolicyPath  string
	Store       storeLocation
	KMSKeyID    string
	S3PathStyle bool

	Listen   string
	DataDir  string
	Replica  string
	LogLevel string
}

// TFPILOT_GITHUB_POLL_BUDGET's range: below 10 a repository in flight
// waits minutes for its turn; above 450 polling alone could take half of
// GitHub's secondary rate limit (900 points a minute).
const (
	minPollBudget = 10
	maxPollBudget = 450
)

// storeLocation is TFPILOT_STORE parsed: s3://bucket/prefix or file:///path.
type storeLocation struct {
	Kind   string // "s3" or "file"
	Bucket string
	Prefix string // "" or ending in "/"
	Path   string
}

func (s storeLocation) String() string {
	if s.Kind == "s3" {
		return "s3://" + s.Bucket + "/" + s.Prefix
	}
	return "file://" + s.Path
}

// configVars lists every variable serve reads, with the flag that overrides
// it and what it is for; the usage text is built from it.
var configVars = []struct{ env, flag, help string }{
	{"SLACK_APP_TOKEN", "slack-app-token", "Socket Mode app-level token (xapp-…)"},
	{"SLACK_BOT_TOKEN", "slack-bot-token", "bot token (xoxb-…)"},
	{"SLACK_API_URL", "slack-api-url", "Slack Web API base URL (tests, proxies)"},
	{"GITHUB_TOKEN", "github-token", "GitHub token (or use the GitHub App variables)"},
	{"GITHUB_APP_ID", "github-app-id", "GitHub App ID"},
	{"GITHUB_APP_INSTALLATION_ID", "github-app-installation-id", "GitHub App installation ID"},
	{"GITHUB_APP_PRIVATE_KEY_FILE", "github-app-private-key-file", "GitHub App private key (PEM file)"},
	{"GITHUB_API_URL", "github-api-url", "GitHub REST base URL (GitHub Enterprise Server, tests)"},
	{"TFPILOT_GITHUB_POLL_BUDGET", "github-poll-budget", fmt.Sprintf("run status polling requests a minute across all repositories (default %d)", github.DefaultPollBudget)},
	{"TFPILOT_CONFIG", "config", "policy file (YAML)"},
	{"TFPILOT_STORE", "store", "s3://bucket/prefix or file:///path (default: file store under --data)"},
	{"TFPILOT_KMS_KEY_ID", "kms-key-id", "KMS key for S3 server-side encryption (default: SSE-S3)"},
	{"TFPILOT_S3_PATH_STYLE", "s3-path-style", "path-style S3 addressing (true for S3-compatible servers)"},
	{"TFPILOT_LISTEN", "listen", "address for /healthz, /readyz, /metrics (default :8080)"},
	{"TFPILOT_DATA", "data", "data directory for the file store (default: user cache dir)"},
	{"TFPILOT_REPLICA", "replica", "replica name for leases (default: hostname-pid)"},
	{"TFPILOT_LOG_LEVEL", "log-level", "debug, info, warn or error (default info)"},
}

// loadServeConfig reads the environment, applies flags, and validates
// everything, reporting every problem at once with the variable it concerns.
// The usage (for -h) goes to usageOut.
func loadServeConfig(getenv func(string) string, args []string, usageOut io.Writer) (serveConfig, error) {
	values := map[string]string{}
	for _, v := range configVars {
		values[v.env] = strings.TrimSpace(getenv(v.env))
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if usageOut != nil {
		fs.SetOutput(usageOut)
	}
	for _, v := range configVars {
		v := v
		fs.Func(v.flag, v.help+" (env "+v.env+")", func(s string) error { values[v.env] = s; return nil })
	}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: bot serve [flags]\n\nEvery flag may instead be set by its environment variable.\n\nflags:")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			return serveConfig{}, flag.ErrHelp
		}
		return serveConfig{}, err
	}
	return parseServeConfig(values)
}

func parseServeConfig(v map[string]string) (serveConfig, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c := serveConfig{
		SlackAppToken:        v["SLACK_APP_TOKEN"],
		SlackBotToken:        v["SLACK_BOT_TOKEN"],
		SlackAPIURL:          v["SLACK_API_URL"],
		GitHubToken:          v["GITHUB_TOKEN"],
		GitHubPrivateKeyFile: v["GITHUB_APP_PRIVATE_KEY_FILE"],
		GitHubAPIURL:         v["GITHUB_API_URL"],
		PolicyPath:           v["TFPILOT_CONFIG"],
		KMSKeyID:             v["TFPILOT_KMS_KEY_ID"],
		Listen:               v["TFPILOT_LISTEN"],
		DataDir:              v["TFPILOT_DATA"],
		Replica:              v["TFPILOT_REPLICA"],
		LogLevel:             v["TFPILOT_LOG_LEVEL"],
	}

	switch {
	case c.SlackAppToken == "":
		bad("SLACK_APP_TOKEN is not set: create an app-level token with the connections:write scope (Slack app settings → Basic Information → App-Level Tokens); it starts with xapp-")
	case !strings.HasPrefix(c.SlackAppToken, "xapp-"):
		bad("SLACK_APP_TOKEN must be the app-level token starting with xapp- (a bot token starts with xoxb- and belongs in SLACK_BOT_TOKEN)")
	}
	switch {
	case c.SlackBotToken == "":
		bad("SLACK_BOT_TOKEN is not set: install the app to the workspace and copy the Bot User OAuth Token (OAuth & Permissions); it starts with xoxb-")
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		bad("SLACK_BOT_TOKEN must be the bot token starting with xoxb-")
	}
	c.SlackAPIURL = checkBaseURL(bad, "SLACK_API_URL", c.SlackAPIURL)
	c.GitHubAPIURL = checkBaseURL(bad, "GITHUB_API_URL", c.GitHubAPIURL)

	appVars := v["GITHUB_APP_ID"] != "" || v["GITHUB_APP_INSTALLATION_ID"] != "" || c.GitHubPrivateKeyFile != ""
	switch {
	case c.GitHubToken != "" && appVars:
		bad("GITHUB_TOKEN and GITHUB_APP_* are both set: use either a token or a GitHub App, not both")
	case c.GitHubToken == "" && !appVars:
		bad("GitHub credentials are not set: set GITHUB_TOKEN (contents, pull requests and actions: read and write) or GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY_FILE")
	case appVars:
		c.GitHubAppID = positiveInt(bad, "GITHUB_APP_ID", v["GITHUB_APP_ID"])
		c.GitHubInstallationID = positiveInt(bad, "GITHUB_APP_INSTALLATION_ID", v["GITHUB_APP_INSTALLATION_ID"])
		if c.GitHubPrivateKeyFile == "" {
			bad("GITHUB_APP_PRIVATE_KEY_FILE is not set: download the App's private key (.pem) and give its path")
		} else if _, err := os.Stat(c.GitHubPrivateKeyFile); err != nil {
			bad("GITHUB_APP_PRIVATE_KEY_FILE: %v", err)
		}
	}

	if s := v["TFPILOT_GITHUB_POLL_BUDGET"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < minPollBudget || n > maxPollBudget {
			bad("TFPILOT_GITHUB_POLL_BUDGET: %q is not a number of requests a minute from %d to %d (default %d; GitHub's secondary rate limit allows 900 points a minute in all)",
				s, minPollBudget, maxPollBudget, github.DefaultPollBudget)
		}
		c.GitHubPollBudget = n
	}

	if c.PolicyPath == "" {
		bad("TFPILOT_CONFIG is not set: give the path of the policy file (see policy.example.yaml)")
	}

	if s := v["TFPILOT_S3_PATH_STYLE"]; s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			bad("TFPILOT_S3_PATH_STYLE: %q is not true or false", s)
		}
		c.S3PathStyle = b
	}
	// The data directory only matters for the default file store: an
	// s3:// or file:// store must not need a home or cache directory (a
	// container may have neither).
	if c.DataDir == "" && v["TFPILOT_STORE"] == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			c.DataDir = filepath.Join(dir, "tfpilot")
		} else {
			bad("TFPILOT_DATA is not set and there is no user cache directory (%v): set it", err)
		}
	}
	if loc, err := parseStore(v["TFPILOT_STORE"], c.DataDir); err != nil {
		bad("TFPILOT_STORE: %v", err)
	} else {
		c.Store = loc
	}
	if c.KMSKeyID != "" && c.Store.Kind != "s3" {
		bad("TFPILOT_KMS_KEY_ID is set but TFPILOT_STORE is not an s3:// store")
	}
	if c.Listen == "" {
		c.Listen = ":8080"
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("TFPILOT_LISTEN: %q is not host:port (e.g. :8080)", c.Listen)
	}
	if c.Replica == "" {
		host, _ := os.Hostname()
		c.Replica = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	switch c.LogLevel {
	case "":
		c.LogLevel = "info"
	case "debug", "info", "warn", "error":
	default:
		bad("TFPILOT_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	if len(problems) > 0 {
		return serveConfig{}, errors.New("configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return c, nil
}

func checkBaseURL(bad func(string, ...any), name, raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("%s: %q is not an http(s) URL", name, raw)
		return raw
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw
}

func positiveInt(bad func(string, ...any), name, raw string) int64 {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		bad("%s: %q is not a positive number (find it in the GitHub App's settings)", name, raw)
	}
	return n
}

// parseStore parses TFPILOT_STORE; empty means a file store under dataDir.
func parseStore(raw, dataDir string) (storeLocation, error) {
	if raw == "" {
		return storeLocation{Kind: "file", Path: filepath.Join(dataDir, "store")}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return storeLocation{}, fmt.Errorf("%q is not a URL: want s3://bucket/prefix or file:///path", raw)
	}
	switch u.Scheme {
	case "s3":
		if u.Host == "" {
			return storeLocation{}, fmt.Errorf("%q has no bucket: want s3://bucket/prefix", raw)
		}
		prefix := strings.Trim(u.Path, "/")
		if prefix != "" {
			prefix += "/"
		}
		return storeLocation{Kind: "s3", Bucket: u.Host, Prefix: prefix}, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return storeLocation{}, fmt.Errorf("%q: a file store needs an absolute path, e.g. file:///var/lib/tfpilot", raw)
		}
		if !filepath.IsAbs(u.Path) {
			return storeLocation{}, fmt.Errorf("%q: the path must be absolute, e.g. file:///var/lib/tfpilot", raw)
		}
		return storeLocation{Kind: "file", Path: filepath.Clean(u.Path)}, nil
	}
	return storeLocation{}, fmt.Errorf("%q: unsupported scheme %q; want s3://bucket/prefix or file:///path", raw, u.Scheme)
}
