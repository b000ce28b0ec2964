package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/tfpilot/tfpilot/flow"
)

// FileStore keeps one JSON file per request, <dir>/requests/<id>.json. It
// implements flow.Store.
//
// Writes are atomic and durable: a record is never written in place. The
// new version is written to a separate file, flushed, and renamed into
// place, and the rename flushed before the call returns (see [Durability]);
// a crash leaves the old record or the new one, never a torn one. Every
// write is conditional on the revision read (Rev is a hash of the stored
// bytes), and is serialised per request both within the process and across
// processes sharing dir (flock on <dir>/locks/<id>.lock), so two engines can
// never both advance a request.
//
// The separate file of an update is the request's spare,
// <dir>/spare/<id>.json: the record's previous version, which the update
// overwrites and then swaps with the record in one rename (renameat2
// RENAME_EXCHANGE). Creating a file per write and freeing the one it
// replaces is what costs: on the ext4 of our CI machine, eight writers
// manage ~2,000 create-and-rename-over cycles a second, against ~300,000
// rewrites of an existing file (neither flushed); the swap creates and
// frees nothing. Because the next update rewrites what was the record,
// readers take the request's lock shared while they read. Where the file
// system cannot exchange names, updates fall back to a new temporary file
// renamed over the record. A spare may hold a torn write after a crash; it
// is never read, only overwritten.
//
// The run queues live beside the requests, under <dir>/queues (queue.go),
// and the GitHub polling ledger under <dir>/ledger (ledger.go).
type FileStore struct {
	durableWriter
	dir    string // <root>/requests
	locks  string // <root>/locks
	spares string // <root>/spare
	queues string // <root>/queues (queue.go)
	ledger string // <root>/ledger (ledger.go)
	keys   keyLocks

	noExchange atomic.Bool // the file system cannot exchange names
}

// durableWriter is what the store and the audit log share: a private
// scratch directory for temporary files under the root, and the flusher
// that makes writes durable.
type durableWriter struct {
	scratch *scratch
	sync    syncer
}

// openWriter opens the scratch directory and flusher under root.
func openWriter(root string, opts []Option) (durableWriter, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	sc, err := openScratch(root)
	if err != nil {
		return durableWriter{}, err
	}
	sy, err := newSyncer(root, o.durability)
	if err != nil {
		sc.close()
		return durableWriter{}, err
	}
	return durableWriter{scratch: sc, sync: sy}, nil
}

// Close releases the scratch directory. Pending calls must have returned.
func (w durableWriter) Close() error {
	err := w.scratch.close()
	if sErr := w.sync.close(); err == nil {
		err = sErr
	}
	return err
}

// Option configures a FileStore or FileAudit.
type Option func(*options)

type options struct{ durability Durability }

// WithDurability chooses how writes are flushed; the default is GroupCommit.
func WithDurability(d Durability) Option { return func(o *options) { o.durability = d } }

// NewFileStore opens (creating if needed) the file store under dir and
// removes the temporary files of writers that crashed.
func NewFileStore(dir string, opts ...Option) (*FileStore, error) {
	s := &FileStore{dir: filepath.Join(dir, "requests"), locks: filepath.Join(dir, "locks"), spares: filepath.Join(dir, "spare"),
		queues: filepath.Join(dir, "queues"), ledger: filepath.Join(dir, "ledger")}
	for _, d := range []string{s.dir, s.locks, s.spares, s.queues, s.ledger} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open file store: %w", err)
		}
	}
	w, err := openWriter(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open file store: %w", err)
	}
	s.durableWriter = w
	return s, nil
}

// Create stores a new request; flow.ErrExists if the ID is taken.
func (s *FileStore) Create(ctx context.Context, r *flow.Request) error {
	if err := checkID(r.ID); err != nil {
		return err
	}
	data, err := marshalRequest(r)
	if err != nil {
		return err
	}
	unlock, err := s.lock(r.ID)
	if err != nil {
		return fmt.Errorf("create %s: %w", r.ID, err)
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create %s: %w", r.ID, err)
	}
	if err := s.put(r.ID, data); err != nil {
		return fmt.Errorf("create %s: %w", r.ID, err)
	}
	r.Rev = revision(data)
	return nil
}

// Get loads a request; flow.ErrNotFound if there is none.
func (s *FileStore) Get(ctx context.Context, id string) (*flow.Request, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	data, err := s.read(id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", id, flow.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return unmarshalRequest(id, data)
}

// Update replaces the stored request if its revision is still r.Rev, else
// flow.ErrConflict; flow.ErrNotFound if there is no such request.
func (s *FileStore) Update(ctx context.Context, r *flow.Request) error {
	if err := checkID(r.ID); err != nil {
		return err
	}
	if r.Rev == "" {
		return fmt.Errorf("update %s without a revision (Get it first): %w", r.ID, flow.ErrConflict)
	}
	data, err := marshalRequest(r)
	if err != nil {
		return err
	}
	unlock, err := s.lock(r.ID)
	if err != nil {
		return fmt.Errorf("update %s: %w", r.ID, err)
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update %s: %w", r.ID, err)
	}
	rev, err := fileRevision(s.path(r.ID))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("update %s: %w", r.ID, flow.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update %s: %w", r.ID, err)
	}
	if rev != r.Rev {
		return fmt.Errorf("update %s: %w", r.ID, flow.ErrConflict)
	}
	if err := s.replace(r.ID, data); err != nil {
		return fmt.Errorf("update %s: %w", r.ID, err)
	}
	r.Rev = revision(data)
	return nil
}

// List returns the requests matching f, oldest first (by CreatedAt, then ID).
func (s *FileStore) List(ctx context.Context, f flow.Filter) ([]*flow.Request, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	var out []*flow.Request
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || checkID(id) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		r, err := s.Get(ctx, id)
		if errors.Is(err, flow.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		if f.Match(r) {
			out = append(out, r)
		}
	}
	sortRequests(out)
	return out, nil
}

// sortRequests orders requests oldest first: by CreatedAt, then by ID.
func sortRequests(rs []*flow.Request) {
	slices.SortFunc(rs, func(a, b *flow.Request) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func (s *FileStore) path(id string) string { return filepath.Join(s.dir, id+".json") }

// lock serialises writers of one request: first within the process, then
// across processes.
func (s *FileStore) lock(id string) (unlock func(), err error) {
	release := s.keys.lock(id)
	closeLock, err := lockFile(filepath.Join(s.locks, id+".lock"))
	if err != nil {
		release()
		return nil, err
	}
	return func() { closeLock(); release() }, nil
}

// read returns the stored bytes of id, holding the request's lock shared:
// an update may rewrite the file that was the record a moment ago (see
// FileStore), so a reader must not be in the middle of reading it then.
func (s *FileStore) read(id string) ([]byte, error) {
	lock, err := os.Open(filepath.Join(s.locks, id+".lock"))
	if errors.Is(err, fs.ErrNotExist) {
		// Never written through a store (every write takes the lock
		// first), so there is no record either, or one nobody updates.
		return os.ReadFile(s.path(id))
	}
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := flock(lock, syscall.LOCK_SH); err != nil {
		return nil, err
	}
	return os.ReadFile(s.path(id))
}

// put writes the first record of id: temporary file, flush, link into
// place (which fails if the record exists), flush the directory. The caller
// holds the lock of id.
func (s *FileStore) put(id string, data []byte) (err error) {
	tmp, err := s.scratch.temp(data)
	if err != nil {
		return err
	}
	defer func() {
		if cErr := tmp.Close(); err == nil {
			err = cErr
		}
		os.Remove(tmp.Name())
	}()
	if err := s.sync.data(tmp); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), s.path(id))
	if errors.Is(err, fs.ErrExist) {
		return flow.ErrExists
	}
	if err != nil {
		return err
	}
	return s.sync.durable(nil, s.dir)
}

// replace writes data over the existing record of id: into the spare,
// swapped with the record (see FileStore), or, where the file system cannot
// swap names, into a temporary file renamed over it. The caller holds the
// lock of id.
func (s *FileStore) replace(id string, data []byte) error {
	if !s.noExchange.Load() {
		err := s.swapSpare(id, data)
		if !errors.Is(err, errNoExchange) {
			return err
		}
		s.noExchange.Store(true)
	}
	return s.renameTemp(id, data)
}

// errNoExchange reports a file system that cannot exchange two names.
var errNoExchange = errors.New("file system cannot exchange names")

func (s *FileStore) swapSpare(id string, data []byte) (err error) {
	spare := filepath.Join(s.spares, id+".json")
	f, err := os.OpenFile(spare, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cErr := f.Close(); err == nil {
			err = cErr
		}
	}()
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return err
	}
	if err := s.sync.data(f); err != nil {
		return err
	}
	if err := exchange(spare, s.path(id)); err != nil {
		return err
	}
	return s.sync.durable(nil, s.dir, s.spares)
}

func (s *FileStore) renameTemp(id string, data []byte) error {
	return s.renameInto(s.path(id), s.dir, data)
}

// renameInto writes data to a temporary file, flushed, and renames it over
// path in dir, flushing dir. The caller holds the lock of path's record.
func (s *FileStore) renameInto(path, dir string, data []byte) (err error) {
	tmp, err := s.scratch.temp(data)
	if err != nil {
		return err
	}
	defer func() {
		if cErr := tmp.Close(); err == nil {
			err = cErr
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := s.sync.data(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return s.sync.durable(nil, dir)
}

// marshalRequest encodes a request as stored: indented JSON, so records stay
// readable with a pager.
func marshalRequest(r *flow.Request) ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return append(data, '\n'), nil
}

func unmarshalRequest(id string, data []byte) (*flow.Request, error) {
	var r flow.Request
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	if r.ID != id {
		return nil, fmt.Errorf("decode request %s: record holds ID %q", id, r.ID)
	}
	r.Rev = revision(data)
	return &r, nil
}

// revision is the Rev of a stored record: a hash of its bytes, so any change
// to the record (by any process) changes it.
func revision(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// fileRevision is the revision of the record stored at path, hashed as it
// is read through a pooled buffer: an update compares it and nothing more,
// so the record it replaces is not read into memory on every write.
func fileRevision(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(buf)
	h := sha256.New()
	for {
		n, err := f.Read(*buf)
		h.Write((*buf)[:n])
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)[:16]), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// readBuffers are fileRevision's buffers.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
