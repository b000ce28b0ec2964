//go:build !unix

package slackfake

import "net"

// listen listens on 127.0.0.1; the segment size is left to the system.
func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
