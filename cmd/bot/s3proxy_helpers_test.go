package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// s3Proxy is a reverse proxy in front of versitygw that can answer a
// burst of requests with S3's 500 InternalError instead of passing them
// on, as S3 does now and then ("retry on 500 InternalError").
type s3Proxy struct {
	srv *httptest.Server

	mu     sync.Mutex
	fail   int // requests left to fail
	failed int // requests failed so far
}

func newS3Proxy(t *testing.T, endpoint string) *s3Proxy {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &s3Proxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		fail := p.fail > 0
		if fail {
			p.fail--
			p.failed++
		}
		p.mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>` +
				`<Message>We encountered an internal error. Please try again.</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's endpoint.
func (p *s3Proxy) URL() string { return p.srv.URL }

// failNext answers the next n requests with 500.
func (p *s3Proxy) failNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail += n
}

// failures is how many requests were answered 500.
func (p *s3Proxy) failures() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}
