package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validEnv() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": "xapp-1-A1-1-abc",
		"SLACK_BOT_TOKEN": "xoxb-1-2-abc",
		"GITHUB_TOKEN":    "ghp_example",
		"TFPILOT_CONFIG":  "/etc/tfpilot/policy.yaml",
		"TFPILOT_DATA":    "/var/lib/tfpilot",
	}
}

func TestServeConfigValid(t *testing.T) {
	env := validEnv()
	env["SLACK_API_URL"] = "http://127.0.0.1:1234/api"
	env["GITHUB_API_URL"] = "http://127.0.0.1:5678/"
	env["TFPILOT_STORE"] = "s3://tfpilot-state/prod/"
	env["TFPILOT_S3_PATH_STYLE"] = "true"
	env["TFPILOT_KMS_KEY_ID"] = "alias/tfpilot"
	env["TFPILOT_REPLICA"] = "r1"
	c, err := loadServeConfig(func(k string) string { return env[k] }, []string{"--listen", "127.0.0.1:9090"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := serveConfig{
		SlackAppToken: "xapp-1-A1-1-abc", SlackBotToken: "xoxb-1-2-abc", SlackAPIURL: "http://127.0.0.1:1234/api/",
		GitHubToken: "ghp_example", GitHubAPIURL: "http://127.0.0.1:5678/",
		PolicyPath: "/etc/tfpilot/policy.yaml",
		Store:      storeLocation{Kind: "s3", Bucket: "tfpilot-state", Prefix: "prod/"},
		KMSKeyID:   "alias/tfpilot", S3PathStyle: true,
		Listen: "127.0.0.1:9090", DataDir: "/var/lib/tfpilot", Replica: "r1", LogLevel: "info",
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestServeConfigPollBudget(t *testing.T) {
	tests := []struct {
		value string
		want  int
	}{
		{"", 0}, // the adapter's default
		{"60", 60},
		{" 300 ", 300},
	}
	for _, tt := range tests {
		env := validEnv()
		env["TFPILOT_GITHUB_POLL_BUDGET"] = tt.value
		c, err := loadServeConfig(func(k string) string { return env[k] }, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, c.GitHubPollBudget); diff != "" {
			t.Errorf("TFPILOT_GITHUB_POLL_BUDGET=%q (-want +got):\n%s", tt.value, diff)
		}
	}
}

func TestServeConfigDefaultsToFileStore(t *testing.T) {
	env := validEnv()
	c, err := parseServeConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != (storeLocation{Kind: "file", Path: "/var/lib/tfpilot/store"}) || c.Listen != ":8080" {
		t.Errorf("defaults: store %+v listen %q", c.Store, c.Listen)
	}
}

func TestServeConfigErrorsNameTheVariable(t *testing.T) {
	key := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(key, []byte("not really a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"missing app token", func(e map[string]string) { delete(e, "SLACK_APP_TOKEN") }, "SLACK_APP_TOKEN is not set: create an app-level token"},
		{"swapped tokens", func(e map[string]string) { e["SLACK_APP_TOKEN"] = "xoxb-1" }, "SLACK_APP_TOKEN must be the app-level token"},
		{"missing bot token", func(e map[string]string) { delete(e, "SLACK_BOT_TOKEN") }, "SLACK_BOT_TOKEN is not set"},
		{"no github", func(e map[string]string) { delete(e, "GITHUB_TOKEN") }, "GitHub credentials are not set"},
		{"both github", func(e map[string]string) { e["GITHUB_APP_ID"] = "1" }, "use either a token or a GitHub App"},
		{"bad app id", func(e map[string]string) {
			delete(e, "GITHUB_TOKEN")
			e["GITHUB_APP_ID"], e["GITHUB_APP_INSTALLATION_ID"], e["GITHUB_APP_PRIVATE_KEY_FILE"] = "abc", "2", key
		}, `GITHUB_APP_ID: "abc" is not a positive number`},
		{"missing key file", func(e map[string]string) {
			delete(e, "GITHUB_TOKEN")
			e["GITHUB_APP_ID"], e["GITHUB_APP_INSTALLATION_ID"], e["GITHUB_APP_PRIVATE_KEY_FILE"] = "1", "2", "/nope.pem"
		}, "GITHUB_APP_PRIVATE_KEY_FILE: stat /nope.pem"},
		{"no policy", func(e map[string]string) { delete(e, "TFPILOT_CONFIG") }, "TFPILOT_CONFIG is not set"},
		{"bad store scheme", func(e map[string]string) { e["TFPILOT_STORE"] = "gs://b" }, `TFPILOT_STORE: "gs://b": unsupported scheme`},
		{"s3 without bucket", func(e map[string]string) { e["TFPILOT_STORE"] = "s3:///x" }, "has no bucket"},
		{"relative file store", func(e map[string]string) { e["TFPILOT_STORE"] = "file://data" }, "needs an absolute path"},
		{"kms without s3", func(e map[string]string) { e["TFPILOT_KMS_KEY_ID"] = "k" }, "TFPILOT_KMS_KEY_ID is set but"},
		{"bad path style", func(e map[string]string) { e["TFPILOT_S3_PATH_STYLE"] = "maybe" }, "TFPILOT_S3_PATH_STYLE"},
		{"bad listen", func(e map[string]string) { e["TFPILOT_LISTEN"] = "8080" }, "TFPILOT_LISTEN"},
		{"bad slack url", func(e map[string]string) { e["SLACK_API_URL"] = "localhost:1" }, "SLACK_API_URL"},
		{"bad log level", func(e map[string]string) { e["TFPILOT_LOG_LEVEL"] = "loud" }, "TFPILOT_LOG_LEVEL"},
		{"poll budget not a number", func(e map[string]string) { e["TFPILOT_GITHUB_POLL_BUDGET"] = "fast" }, `TFPILOT_GITHUB_POLL_BUDGET: "fast" is not a number`},
		{"poll budget too small", func(e map[string]string) { e["TFPILOT_GITHUB_POLL_BUDGET"] = "5" }, "from 10 to 450"},
		{"poll budget too large", func(e map[string]string) { e["TFPILOT_GITHUB_POLL_BUDGET"] = "900" }, "from 10 to 450"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			tt.edit(env)
			_, err := parseServeConfig(env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestServeConfigReportsEveryProblem(t *testing.T) {
	_, err := parseServeConfig(map[string]string{"TFPILOT_DATA": "/d"})
	if err == nil {
		t.Fatal("empty environment accepted")
	}
	for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "GitHub credentials", "TFPILOT_CONFIG"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not mention %s:\n%v", v, err)
		}
	}
}

// TestServeConfigStoreNeedsNoHome: with TFPILOT_STORE set, serve needs no
// home or cache directory (a container may have neither).
func TestServeConfigStoreNeedsNoHome(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	for _, store := range []string{"s3://bucket/prefix", "file:///var/lib/tfpilot"} {
		env := validEnv()
		delete(env, "TFPILOT_DATA")
		env["TFPILOT_STORE"] = store
		if _, err := parseServeConfig(env); err != nil {
			t.Errorf("TFPILOT_STORE=%s without HOME: %v", store, err)
		}
	}
	env := validEnv()
	delete(env, "TFPILOT_DATA")
	if _, err := parseServeConfig(env); err == nil || !strings.Contains(err.Error(), "TFPILOT_DATA") {
		t.Errorf("default store without HOME: %v, want an error naming TFPILOT_DATA", err)
	}
}

// TestGCPercent: the service sets its own GOGC only when the environment
// names none.
func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		gogc string
		want int
		set  bool
	}{
		{"", serveGCPercent, true},
		{"100", 0, false},
		{"off", 0, false},
	} {
		getenv := func(k string) string {
			if k == "GOGC" {
				return tc.gogc
			}
			return ""
		}
		got, set, err := gcPercent(getenv)
		if err != nil {
			t.Errorf("GOGC=%q: %v", tc.gogc, err)
		}
		if got != tc.want || set != tc.set {
			t.Errorf("GOGC=%q: gcPercent = %d, %v; want %d, %v", tc.gogc, got, set, tc.want, tc.set)
		}
	}
}

// TestGCPercentTypo: a GOGC the runtime would quietly read as 100 stops
// the service with a message that names it.
func TestGCPercentTypo(t *testing.T) {
	for _, v := range []string{"4OO", "400%", "of"} {
		_, set, err := gcPercent(func(k string) string {
			if k == "GOGC" {
				return v
			}
			return ""
		})
		if err == nil || set || !strings.Contains(err.Error(), "GOGC") || !strings.Contains(err.Error(), v) {
			t.Errorf("GOGC=%q: set %v, error %v; want an error naming GOGC and %q", v, set, err, v)
		}
	}
}

// TestBenchGCPercent: bot's BenchmarkAckUnderLoad measures at the GOGC `bot
// serve` runs with. The benchmark cannot import package main, so this reads
// its constant from the source.
func TestBenchGCPercent(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "..", "bot", "bench_test.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == 1 && vs.Names[0].Name == "benchGCPercent" && len(vs.Values) == 1 {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
				got = lit.Value
			}
		}
		return true
	})
	if want := strconv.Itoa(serveGCPercent); got != want {
		t.Errorf("bot/bench_test.go: benchGCPercent = %q, want %s (serveGCPercent)", got, want)
	}
}
