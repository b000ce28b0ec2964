package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/tfpilot/tfpilot/flow"
)

// FileAudit is the append-only audit log on disk: one JSON file per record
// at <dir>/audit/<yyyy>/<mm>/<dd>/<request-id>/<seq>.json, dated by the
// record's time in UTC. It implements flow.Audit.
//
// A record is written to a new file that has no name yet, given its name
// with a hard link, which fails if the name is taken, and then flushed with
// its name: records are never overwritten, and a crash never leaves a
// partial one that was acknowledged.
type FileAudit struct {
	durableWriter
	dir     string      // <root>/audit
	unnamed atomic.Bool // create records as unnamed files (see create)
}

// NewFileAudit opens (creating if needed) the audit log whose root is dir:
// records go under <dir>/audit/ (the "audit" is added here; pass the data
// folder, not its audit/ folder) and temporary files under <dir>/tmp/.
func NewFileAudit(dir string, opts ...Option) (*FileAudit, error) {
	a := &FileAudit{dir: filepath.Join(dir, "audit")}
	if err := os.MkdirAll(a.dir, 0o700); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	w, err := openWriter(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	a.durableWriter = w
	a.unnamed.Store(haveUnnamed())
	return a, nil
}

// Record appends rec. Writing the same (RequestID, Seq) again with the same
// content is a no-op; with different content it fails with flow.ErrExists
// and the first record stays.
func (a *FileAudit) Record(ctx context.Context, rec flow.AuditRecord) (err error) {
	if err := checkID(rec.RequestID); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if rec.Seq < 0 {
		return fmt.Errorf("audit %s: negative seq %d", rec.RequestID, rec.Seq)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit %s/%d: %w", rec.RequestID, rec.Seq, err)
	}
	data, err := marshalAudit(rec)
	if err != nil {
		return err
	}
	dir := filepath.Join(a.dir, filepath.FromSlash(AuditDir(rec)))
	path := filepath.Join(dir, strconv.FormatInt(rec.Seq, 10)+".json")
	defer func() {
		if err != nil {
			err = fmt.Errorf("audit %s/%d: %w", rec.RequestID, rec.Seq, err)
		}
	}()
	newDirs, err := a.mkdirs(dir)
	if err != nil {
		return err
	}
	return a.put(dir, path, data, newDirs)
}

// put writes the record data at path in dir, whose directories newDirs
// are new, and flushes it.
func (a *FileAudit) put(dir, path string, data []byte, newDirs []string) error {
	dirs := append(newDirs, dir)
	// Link first, flush after: one flush then covers the record's data and
	// its name. A crash before the flush may leave a torn record under the
	// name; Record was not acknowledged, so the engine writes it again and
	// the retry repairs it below.
	f, err := a.create(dir, path, data)
	if errors.Is(err, fs.ErrExist) {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case bytes.Equal(old, data):
			// Same record (a retry, or a concurrent writer): flush anyway,
			// its first writer may not have yet.
			return a.sync.durable(nil, dirs...)
		case !completeRecord(old):
			return a.repair(path, data, dirs)
		default:
			return fmt.Errorf("a different record is already stored: %w", flow.ErrExists)
		}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return a.sync.durable(f, dirs...)
}

// create writes data to a new file at path that appears whole or not at
// all: an unnamed file (O_TMPFILE) made in dir and then linked at path, or
// where there are none, a temporary file in the scratch directory linked at
// path and unlinked there. Unnamed files keep the many concurrent writers
// out of one shared scratch directory, whose lock they would otherwise
// contend for on every create and unlink, and leave nothing behind after a
// crash. It fails with fs.ErrExist if path is taken. The file is returned
// open, not yet flushed.
func (a *FileAudit) create(dir, path string, data []byte) (*os.File, error) {
	if a.unnamed.Load() {
		f, err := openUnnamed(dir)
		if err == nil {
			if _, err = f.Write(data); err != nil {
				f.Close()
				return nil, err
			}
			err = link(f, path)
			if err == nil {
				return f, nil
			}
			f.Close()
			if !linkRefused(err) {
				// The name is taken, or the file system failed (full,
				// I/O error): the other way would fare no better.
				return nil, err
			}
			// Linking through /proc can be refused (a restricted /proc, a
			// security module): write this record and later ones the
			// other way.
		} else if !errors.Is(err, errNoTmpfile) {
			return nil, err
		}
		a.unnamed.Store(false)
	}
	tmp, err := a.scratch.temp(data)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := os.Link(tmp.Name(), path); err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}

// repair replaces a record torn by a crash with data.
func (a *FileAudit) repair(path string, data []byte, dirs []string) error {
	tmp, err := a.scratch.temp(data)
	if err != nil {
		return err
	}
	defer tmp.Close()
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return a.sync.durable(tmp, dirs...)
}

// linkRefused reports a link through /proc that the system does not allow
// (as opposed to one that failed for the file system's own reasons).
func linkRefused(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOENT)
}

// link names an unnamed file; a variable so that a test can refuse it.
var link = linkUnnamed

// errNoTmpfile reports a system without unnamed temporary files.
var errNoTmpfile = errors.New("unnamed temporary files are not supported")

// completeRecord reports whether b is a whole audit record as Record writes
// it, rather than one torn by a crash.
func completeRecord(b []byte) bool {
	return len(b) > 0 && b[len(b)-1] == '\n' && json.Valid(b)
}

// AuditDir is the directory of a record below the audit root, slash
// separated: <yyyy>/<mm>/<dd>/<request-id>, dated by rec.At in UTC.
func AuditDir(rec flow.AuditRecord) string {
	return rec.At.UTC().Format("2006/01/02") + "/" + rec.RequestID
}

// mkdirs makes dir and its missing parents and returns the directories
// whose entries changed (the parents of the new ones), to be flushed with
// the record.
func (a *FileAudit) mkdirs(dir string) ([]string, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, nil
	}
	var parents []string
	for d := dir; d != a.dir; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		parents = append(parents, filepath.Dir(d))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return parents, nil
}

// Records returns the audit records of one request, by Seq. It walks every
// day of the log, so it is meant for tests and the command line, not for a
// hot path.
func (a *FileAudit) Records(ctx context.Context, requestID string) ([]flow.AuditRecord, error) {
	if err := checkID(requestID); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	dirs, err := filepath.Glob(filepath.Join(a.dir, "[0-9]*", "[0-9]*", "[0-9]*", requestID))
	if err != nil {
		return nil, err
	}
	var out []flow.AuditRecord
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, fmt.Errorf("audit records of %s: %w", requestID, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("audit records of %s: %w", requestID, err)
			}
			data, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("audit records of %s: %w", requestID, err)
			}
			if !completeRecord(data) {
				continue // torn by a crash before it was acknowledged; rewritten by the retry
			}
			var rec flow.AuditRecord
			if err := json.Unmarshal(data, &rec); err != nil {
				return nil, fmt.Errorf("audit record %s/%s: %w", d, e.Name(), err)
			}
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(x, y flow.AuditRecord) int { return cmpInt(x.Seq, y.Seq) })
	return out, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// marshalAudit encodes a record as stored: one line of JSON. The encoding is
// deterministic (struct order, sorted map keys), so a retried record is
// byte-for-byte the first one.
func marshalAudit(rec flow.AuditRecord) ([]byte, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode audit record %s/%d: %w", rec.RequestID, rec.Seq, err)
	}
	return append(data, '\n'), nil
}
