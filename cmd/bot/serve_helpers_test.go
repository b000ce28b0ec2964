package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// Helpers of TestServeEndToEnd: the bot subprocess, the environment
// repository's files, and reading the fakes and the bucket.

// botProcess is a running bot subprocess.
type botProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	code   int           // exit status, valid after done
}

// buildServeBinary compiles ./cmd/bot once for the test, with the race
// detector when the tests run with it (a race in the wiring then fails the
// test: see the DATA RACE check at the end of TestServeEndToEnd).
func buildServeBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bot")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBot runs bin with args and exactly the environment env (nothing is
// inherited). The process is killed at cleanup if it is still running, and
// its log is printed if the test failed.
func startBot(t *testing.T, bin string, args []string, env map[string]string) *botProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &botProcess{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("bot log:\n%s", p.stderr.String())
		}
	})
	return p
}

// waitFor polls cond until it holds. It fails the test if the process
// exits first or waitDeadline passes: a guard against hangs.
func (p *botProcess) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("waiting for %s: the bot exited with status %d", what, p.code)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, waitDeadline)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait returns the exit status, failing the test if the process hangs.
func (p *botProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(waitDeadline):
		t.Fatalf("the bot did not exit within %v of SIGTERM", waitDeadline)
		return -1
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// repoFiles reads the given top-level folders of this repository as an
// environment repository's files (path → content).
func repoFiles(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	files := map[string]string{}
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				if e != nil && e.IsDir() && strings.HasPrefix(e.Name(), ".") {
					return filepath.SkipDir // .terraform and the like
				}
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files[filepath.ToSlash(rel)] = string(b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(files["modules/s3-bucket/variables.tf"], "variable") {
		t.Fatalf("no modules/s3-bucket in %v", dirs)
	}
	return files
}

// freeAddr returns a 127.0.0.1 address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the status and body of url (0 when it does not answer).
func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// runsOf returns the environment repository's runs of workflow.
func runsOf(gh *ghfake.Fake, workflow string) []ghfake.Run {
	var out []ghfake.Run
	for _, r := range gh.Runs(envRepo) {
		if r.Workflow == workflow {
			out = append(out, r)
		}
	}
	return out
}

// listKeys lists the object keys under prefix.
func listKeys(ctx context.Context, t *testing.T, c *awss3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	pages := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// record reads the one request record in the bucket.
func record(ctx context.Context, t *testing.T, c *awss3.Client, bucket string) *flow.Request {
	t.Helper()
	keys := listKeys(ctx, t, c, bucket, s3Prefix+"requests/")
	if len(keys) != 1 {
		t.Fatalf("request records = %v, want one", keys)
	}
	out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[0])})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	var r flow.Request
	if err := json.NewDecoder(out.Body).Decode(&r); err != nil {
		t.Fatalf("decode %s: %v", keys[0], err)
	}
	return &r
}

// cardButton is a button of a rendered message.
type cardButton = slackfake.Button

// buttons lists the buttons of Block Kit JSON (nil if it is not Block Kit).
func buttons(blocks json.RawMessage) []cardButton {
	out, _ := slackfake.Buttons(blocks)
	return out
}

// button finds the button whose action ID starts with action+":" and whose
// text is text.
func button(blocks json.RawMessage, action, text string) (cardButton, bool) {
	for _, b := range buttons(blocks) {
		if strings.HasPrefix(b.ActionID, action+":") && b.Text == text {
			return b, true
		}
	}
	return cardButton{}, false
}

func hasButton(blocks json.RawMessage, action, text string) bool {
	_, ok := button(blocks, action, text)
	return ok
}
