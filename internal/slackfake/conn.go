package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Spread is how the fake picks a connection for an envelope when the
// client holds several. Slack promises nothing here: "each payload may be
// sent to any of the connections".
type Spread int

const (
	// SpreadThread sends the envelopes of one thread (Envelope.Thread) to
	// one connection for as long as the set of live connections is
	// unchanged, so a test can assert per-thread order; envelopes without
	// a thread go round-robin.
	SpreadThread Spread = iota
	// SpreadRandom picks a live connection at random for every envelope,
	// so the envelopes of one thread arrive on different connections.
	SpreadRandom
)

// closedAckGrace is how long an envelope written on a connection that has
// since ended may still be acked on another: slack-go sends the acks it
// queued during a reconnect on its next connection.
const closedAckGrace = 2 * time.Second

// ConnStats describes one Socket Mode connection the fake accepted.
type ConnStats struct {
	ID        int  // 1 for the first connection, 2 for the next, …
	Live      bool // open and taking new envelopes (not told to disconnect)
	Envelopes int  // envelopes queued on it
	Acks      int  // ack frames read from it
}

type conn struct {
	id int
	ws *websocket.Conn
	mu sync.Mutex // one writer at a time: writeLoop, hello, pings
	// out holds encoded frames waiting for the socket, in order: Slack's
	// queue for this connection.
	out    chan frame
	closed chan struct{} // closed when the connection ends
	// unwritten is the frame writeLoop failed to write; read after wrote
	// is closed.
	unwritten frame
	wrote     chan struct{} // closed when writeLoop returns

	qmu      sync.Mutex // orders queue against disconnect and end
	draining bool       // told to disconnect: takes no more envelopes
	ended    bool       // out has been emptied for the last time

	envelopes, acks atomic.Int64
}

// frame is one encoded frame; envelopes carry their waiter and thread so
// that a frame the connection never wrote can go to another.
type frame struct {
	b      []byte
	w      *waiter
	thread string
}

// waiter is a Send waiting for its envelope's ack.
type waiter struct {
	id string
	ch chan ackFrame // buffered: gets the ack, or the error ending the wait
	// then, when set, takes the ack instead of ch, on the goroutine that
	// read it (SendChains).
	then   func(ackFrame)
	queued atomic.Int64 // unix nanoseconds of the first queueing: when Slack's timer starts
	c      *conn        // the connection it was queued on last; guarded by Fake.mu
}

// done ends w's wait with a.
func (w *waiter) done(a ackFrame) {
	if w.then != nil {
		w.then(a)
		return
	}
	w.ch <- a
}

// sentAt is when w's envelope was first queued.
func (w *waiter) sentAt() time.Time { return time.Unix(0, w.queued.Load()) }

// ackFrame is an ack as read off the socket, with when it was read, or
// the error that ended the wait for it.
type ackFrame struct {
	payload json.RawMessage
	at      time.Time
	err     error
}

// outQueue is how many frames a connection holds before queueing blocks.
const outQueue = 4096

var errDraining = errors.New("slackfake: connection takes no more envelopes")

func newConn(id int, ws *websocket.Conn) *conn {
	return &conn{id: id, ws: ws, out: make(chan frame, outQueue), closed: make(chan struct{}), wrote: make(chan struct{})}
}

// write sends v as one text frame now, ahead of anything queued.
func (c *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// queue puts fr behind the frames queued before it and stamps its waiter
// with the moment it did, unless an earlier queueing already had: Slack's
// 3-second timer starts when it first hands an envelope to a connection,
// not when the bytes reach a client that has fallen behind. The stamp is
// taken before the frame can be written, so whoever reads its ack sees it.
// A connection that is draining or has ended refuses envelopes
// (errDraining), so the caller picks another.
func (c *conn) queue(fr frame) error {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.ended || (c.draining && fr.w != nil) {
		return errDraining
	}
	if fr.w != nil {
		fr.w.queued.CompareAndSwap(0, time.Now().UnixNano())
	}
	select {
	case c.out <- fr:
		return nil
	case <-c.closed:
		// end drains out only after taking qmu, so nothing is stranded.
		return errDraining
	}
}

// writeLoop writes queued frames in order until the connection ends; a
// failed write closes the socket, which ends the read loop too.
func (c *conn) writeLoop() {
	defer close(c.wrote)
	for {
		select {
		case fr := <-c.out:
			c.mu.Lock()
			err := c.ws.WriteMessage(websocket.TextMessage, fr.b)
			c.mu.Unlock()
			if err != nil {
				c.unwritten = fr
				_ = c.ws.Close()
				return
			}
		case <-c.closed:
			return
		}
	}
}

// accept registers a new connection as live.
func (f *Fake) accept(ws *websocket.Conn) *conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := newConn(len(f.all)+1, ws)
	f.all = append(f.all, c)
	return c
}

// goLive makes c take envelopes (after its hello went out).
func (f *Fake) goLive(c *conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = append(f.live, c)
	f.notifyLocked()
	select {
	case <-f.connected:
	default:
		close(f.connected)
	}
}

// unrouteLocked stops sending envelopes to c.
func (f *Fake) unrouteLocked(c *conn) {
	for i, l := range f.live {
		if l == c {
			f.live = append(f.live[:i:i], f.live[i+1:]...)
			f.notifyLocked()
			return
		}
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// end is called once when c's socket is gone. Frames it never wrote go to
// another connection, as Slack keeps an envelope until it is acked;
// envelopes it wrote may still be acked on another connection for
// closedAckGrace, and then their Sends fail with ErrConnClosed.
func (f *Fake) end(c *conn) {
	f.mu.Lock()
	f.unrouteLocked(c)
	f.mu.Unlock()
	close(c.closed)
	c.qmu.Lock()
	c.ended = true
	c.qmu.Unlock()
	<-c.wrote
	if fr := c.unwritten; fr.w != nil {
		if err := f.deliver(fr, 0); err != nil {
			f.finish(fr.w, ackFrame{err: ErrConnClosed})
		}
	}
	for {
		select {
		case fr := <-c.out:
			if fr.w != nil {
				if err := f.deliver(fr, 0); err != nil {
					f.finish(fr.w, ackFrame{err: ErrConnClosed})
				}
			}
			continue
		default:
		}
		break
	}
	f.mu.Lock()
	var written []*waiter
	for _, ws := range f.waiters {
		for _, w := range ws {
			if w.c == c {
				written = append(written, w)
			}
		}
	}
	f.mu.Unlock()
	if len(written) > 0 {
		time.AfterFunc(closedAckGrace, func() {
			for _, w := range written {
				f.finish(w, ackFrame{err: ErrConnClosed})
			}
		})
	}
}

// deliver queues an envelope frame on connection on (its ID), or on the
// live connection Spread picks when on is 0.
func (f *Fake) deliver(fr frame, on int) error {
	for {
		f.mu.Lock()
		c, err := f.pickLocked(fr.thread, on)
		if err != nil {
			f.mu.Unlock()
			return err
		}
		fr.w.c = c
		f.mu.Unlock()
		err = c.queue(fr)
		if errors.Is(err, errDraining) {
			if on != 0 {
				return ErrConnClosed
			}
			// c left the live set before it refused: pick again.
			continue
		}
		if err == nil {
			c.envelopes.Add(1)
		}
		return err
	}
}

func (f *Fake) pickLocked(thread string, on int) (*conn, error) {
	if len(f.live) == 0 {
		return nil, ErrNotConnected
	}
	if on != 0 {
		for _, c := range f.live {
			if c.id == on {
				return c, nil
			}
		}
		return nil, fmt.Errorf("connection %d: %w", on, ErrNotConnected)
	}
	n := len(f.live)
	switch {
	case n == 1:
		return f.live[0], nil
	case f.Spread == SpreadRandom:
		return f.live[rand.IntN(n)], nil
	case thread != "":
		return f.live[maphash.String(f.threads, thread)%uint64(n)], nil
	default:
		f.rr++
		return f.live[f.rr%n], nil
	}
}

// ack hands an ack read off c to the oldest Send waiting for it.
func (f *Fake) ack(c *conn, id string, a ackFrame) {
	c.acks.Add(1)
	f.mu.Lock()
	if _, chosen := f.acks[id]; chosen {
		f.acks[id]++
	}
	var w *waiter
	if ws := f.waiters[id]; len(ws) > 0 {
		w = ws[0]
		if len(ws) == 1 {
			delete(f.waiters, id)
		} else {
			f.waiters[id] = ws[1:]
		}
	}
	f.mu.Unlock()
	if w != nil {
		w.done(a)
	}
}

// finish ends w's wait with a unless it has ended already.
func (f *Fake) finish(w *waiter, a ackFrame) {
	if f.forget(w) {
		w.done(a)
	}
}

// forget stops waiting for w's ack; false if the wait had ended.
func (f *Fake) forget(w *waiter) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ws := f.waiters[w.id]
	for i, x := range ws {
		if x == w {
			if len(ws) == 1 {
				delete(f.waiters, w.id)
			} else {
				f.waiters[w.id] = append(ws[:i:i], ws[i+1:]...)
			}
			return true
		}
	}
	return false
}

// WaitConnected blocks until a client has connected to the socket.
func (f *Fake) WaitConnected(ctx context.Context) error {
	select {
	case <-f.connected:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitConns blocks until n connections are live.
func (f *Fake) WaitConns(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		live, changed := len(f.live), f.changed
		f.mu.Unlock()
		if live == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d connections live, want %d: %w", live, n, ctx.Err())
		}
	}
}

// Conns describes every connection accepted so far, oldest first.
func (f *Fake) Conns() []ConnStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ConnStats, 0, len(f.all))
	for _, c := range f.all {
		out = append(out, ConnStats{ID: c.id, Envelopes: int(c.envelopes.Load()), Acks: int(c.acks.Load())})
	}
	for _, c := range f.live {
		out[c.id-1].Live = true
	}
	return out
}

// AckCount is how many acks the fake read, on any connection, for an
// envelope sent with a chosen ID (Envelope.ID, Click.EnvelopeID). Generated
// IDs are not counted: nobody can ask for them, and a benchmark's
// thousands of envelopes would fill the fake's heap (Conns counts every
// ack per connection).
func (f *Fake) AckCount(envelopeID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acks[envelopeID]
}

// Disconnect asks the client to reconnect every live connection
// ("refresh_requested", "warning", "link_disabled").
func (f *Fake) Disconnect(reason string) error {
	f.mu.Lock()
	live := append([]*conn(nil), f.live...)
	f.mu.Unlock()
	if len(live) == 0 {
		return ErrNotConnected
	}
	for _, c := range live {
		if err := f.DisconnectConn(c.id, reason); err != nil {
			return err
		}
	}
	return nil
}

// DisconnectConn asks the client to reconnect connection id, as Slack
// does to refresh one: the frame is queued, so it arrives after the
// envelopes queued before it, and from then on envelopes go to the other
// connections.
func (f *Fake) DisconnectConn(id int, reason string) error {
	f.mu.Lock()
	c := f.connLocked(id)
	if c != nil {
		f.unrouteLocked(c)
	}
	f.mu.Unlock()
	if c == nil {
		return fmt.Errorf("connection %d: %w", id, ErrNotConnected)
	}
	c.qmu.Lock()
	c.draining = true
	c.qmu.Unlock()
	b, err := json.Marshal(map[string]any{"type": "disconnect", "reason": reason})
	if err != nil {
		return err
	}
	if err := c.queue(frame{b: b}); err != nil {
		return fmt.Errorf("connection %d: %w", id, ErrConnClosed)
	}
	return nil
}

// CloseConn closes connection id without a word, as a network failure
// would; envelopes go to the other connections from then on.
func (f *Fake) CloseConn(id int) error {
	f.mu.Lock()
	c := f.connLocked(id)
	if c != nil {
		f.unrouteLocked(c)
	}
	f.mu.Unlock()
	if c == nil {
		return fmt.Errorf("connection %d: %w", id, ErrNotConnected)
	}
	return c.ws.Close()
}

// CloseConns closes every connection without a word. The client
// reconnects unless apps.connections.open is failing (Fail).
func (f *Fake) CloseConns() {
	f.mu.Lock()
	all := append([]*conn(nil), f.all...)
	for _, c := range all {
		f.unrouteLocked(c)
	}
	f.mu.Unlock()
	for _, c := range all {
		_ = c.ws.Close()
	}
}

func (f *Fake) connLocked(id int) *conn {
	if id < 1 || id > len(f.all) {
		return nil
	}
	return f.all[id-1]
}
