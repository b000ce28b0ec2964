package slackfake

import (
	"net"
	"net/url"
	"syscall"
	"testing"
)

// TestSegmentSize: a client's connection to the fake carries segments no
// larger than an internet path's, not loopback's ~64 KB (see listen).
func TestSegmentSize(t *testing.T) {
	f := New()
	defer f.Close()
	u, err := url.Parse(f.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var mss int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		mss, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG)
	}); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	if mss <= 0 || mss > wanMSS {
		t.Fatalf("client's segment size %d bytes, want at most %d", mss, wanMSS)
	}
	t.Logf("segment size %d bytes", mss)
}
