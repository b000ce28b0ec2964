package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// maxIDLen bounds request IDs (a UUID is 36 characters).
const maxIDLen = 64

// checkID reports an ID that is not safe to use as a file name. Request IDs
// are UUIDs: only lower-case hex digits and dashes, so no path traversal,
// separators or hidden files can come from one.
func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("bad request ID %q: want 1 to %d characters", id, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && c != '-' {
			return fmt.Errorf("bad request ID %q: only 0-9, a-f and - are allowed", id)
		}
	}
	return nil
}

// lockFile takes an exclusive advisory lock (flock) on path, creating it,
// and returns the function that releases it. flock locks belong to the open
// file description, so they exclude other processes and other descriptors
// of this process alike.
func lockFile(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return f.Close, nil // closing the descriptor releases the lock
}

// flock takes a lock on f (syscall.LOCK_EX or LOCK_SH), waiting for it;
// closing f releases it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		return nil
	}
}

// tryLockFile is lockFile without waiting: ok is false when someone else
// holds the lock.
func tryLockFile(path string) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return f, true, nil
}

// keyLocks serialises work on one key within the process, so that only one
// goroutine per request waits in flock (a blocked flock holds an OS thread).
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (l *keyLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*keyLock)
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()
	k.mu.Lock()
	return func() {
		k.mu.Unlock()
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}

// scratch is a private directory for temporary files of one open store,
// under <root>/tmp/<name>/, guarded by the flock on <root>/tmp/<name>.lock
// for as long as the store is open. Temporary files live there rather than
// next to their targets so that a crash's leftovers are found (and removed)
// by the next open without walking the whole tree, and never while their
// writer is still alive.
type scratch struct {
	dir  string
	lock *os.File
}

func openScratch(root string) (*scratch, error) {
	base := filepath.Join(root, "tmp")
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, err
	}
	if err := removeStaleScratch(base); err != nil {
		return nil, err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
	// Lock first, then make the directory: a directory without a held lock
	// is always stale.
	lock, err := os.OpenFile(filepath.Join(base, name+".lock"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("lock scratch directory: %w", err)
	}
	dir := filepath.Join(base, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		lock.Close()
		return nil, err
	}
	return &scratch{dir: dir, lock: lock}, nil
}

// removeStaleScratch removes the scratch directories of stores that are no
// longer open (their process exited or crashed mid-write).
func removeStaleScratch(base string) error {
	entries, err := os.ReadDir(base)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".lock")
		if !ok {
			if _, err := os.Stat(filepath.Join(base, e.Name()+".lock")); errors.Is(err, fs.ErrNotExist) {
				// A directory whose lock file is gone was being removed.
				os.RemoveAll(filepath.Join(base, e.Name()))
			}
			continue
		}
		f, held, err := tryLockFile(filepath.Join(base, e.Name()))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
		if !held {
			continue // its store is open
		}
		rmErr := os.RemoveAll(filepath.Join(base, name))
		if rmErr == nil {
			rmErr = os.Remove(filepath.Join(base, e.Name()))
		}
		f.Close()
		if rmErr != nil {
			return fmt.Errorf("remove stale scratch %s: %w", name, rmErr)
		}
	}
	return nil
}

// temp creates a new temporary file in the scratch directory holding data,
// not yet synced.
func (s *scratch) temp(data []byte) (*os.File, error) {
	f, err := os.CreateTemp(s.dir, "w-*")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

func (s *scratch) close() error {
	err := os.RemoveAll(s.dir)
	if rmErr := os.Remove(s.lock.Name()); err == nil {
		err = rmErr
	}
	if cErr := s.lock.Close(); err == nil {
		err = cErr
	}
	return err
}
