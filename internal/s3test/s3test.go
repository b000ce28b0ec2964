package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Version is the versitygw release the tests are written against (the
// Makefile's VERSITYGW_VERSION).
const Version = "v1.8.0"

// Bucket is the bucket Start creates.
const Bucket = "tfpilot-test"

const region = "us-east-1"

// Start runs versitygw for the test and returns its endpoint, an empty
// bucket and a client for it (path-style addressing, static credentials).
// The server is stopped by t.Cleanup; its log is printed if the test failed.
func Start(t testing.TB) (endpoint, bucket string, client *s3.Client) {
	t.Helper()
	bin := binary(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	access, secret := randomKey(10), randomKey(20)

	var srv *server
	var err error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before versitygw binds it
		srv, err = start(bin, root, filepath.Join(dir, "versitygw.log"), access, secret)
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			log, _ := os.ReadFile(srv.log)
			t.Logf("versitygw (%s) log:\n%s", srv.cmd, log)
		}
	})

	endpoint = "http://" + srv.addr
	client = s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.ready(ctx, client); err != nil {
		log, _ := os.ReadFile(srv.log)
		t.Fatalf("versitygw (%s) not ready: %v\n%s", srv.cmd, err, log)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(Bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", Bucket, err)
	}
	return endpoint, Bucket, client
}

// binary finds versitygw on PATH or in <module root>/.bin.
func binary(t testing.TB) string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				p := filepath.Join(d, ".bin", "versitygw")
				if _, err := os.Stat(p); err == nil {
					return p
				}
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	msg := "versitygw " + Version + " not found on PATH or in .bin/: run `make tools` to install it; " +
		"the S3 store tests need a real S3 server"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPING S3 TESTS: " + msg)
	return ""
}

type server struct {
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{}
	err  error // set when done is closed
	once sync.Once
}

// start launches versitygw on a free port of 127.0.0.1. Credentials go in
// the environment, not on the command line.
func start(bin, root, logPath, access, secret string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", addr, "--region", region, "--quiet", "posix", root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, addr: addr, log: logPath, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	// versitygw exits at once when it cannot bind; give that a moment to
	// show, so the caller can retry with another port.
	select {
	case <-s.done:
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("versitygw exited: %v: %s", s.err, bytes.TrimSpace(log))
	case <-time.After(100 * time.Millisecond):
	}
	return s, nil
}

// ready waits until the server answers ListBuckets.
func (s *server) ready(ctx context.Context, c *s3.Client) error {
	for {
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("versitygw exited: %v", s.err)
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *server) stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomKey(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
