//go:build unix

package slackfake

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// wanMSS is the TCP segment size of the fake's connections: a 1,500-byte
// Ethernet MTU less the IP and TCP headers and the timestamp option.
const wanMSS = 1448

// listen listens on 127.0.0.1 with the TCP maximum segment size clamped to
// wanMSS, the size Slack's frames cross the internet in, instead of
// loopback's ~64 KB. With 64 KB segments, a client that falls behind a
// burst of frames (BenchmarkAckUnderLoad) stalled for 200 ms or more about
// one run in three: its receive buffer filled, Linux advertised a zero
// window (nstat's TcpExtTCPToZeroWindowAdv), and the sender went on only
// when its persist timer fired. Linux advertises a receive window in whole
// segments, so a 64 KB segment keeps it at zero until 64 KB of a fresh
// connection's small buffer is free. No client sees that from Slack; with
// internet-sized segments the window reopens as the client reads.
func listen() (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, wanMSS)
		}); cerr != nil {
			return cerr
		}
		if err != nil {
			return fmt.Errorf("set TCP_MAXSEG %d: %w", wanMSS, err)
		}
		return nil
	}}
	return lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
}
