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

	"github.com/tfpilot/tfpilot/flow"
)

// FileAudit is the append-only audit log on disk: one JSON file per record
// at <dir>/audit/<yyyy>/<mm>/<dd>/<request-id>/<seq>.json, dated by the
// record's time in UTC. It implements flow.Audit.
//
// A record is written to a temporary file, flushed, and hard-linked into
// place, which fails if the name is taken: records are never overwritten,
// and a crash never leaves a partial one.
type FileAudit struct {
	dir     string // <root>/audit
	scratch *scratch
	sync    syncer
}

// NewFileAudit opens (creating if needed) the audit log under dir.
func NewFileAudit(dir string, opts ...Option) (*FileAudit, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a := &FileAudit{dir: filepath.Join(dir, "audit")}
	if err := os.MkdirAll(a.dir, 0o700); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	var err error
	if a.scratch, err = openScratch(dir); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if a.sync, err = newSyncer(dir, o.durability); err != nil {
		a.scratch.close()
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return a, nil
}

// Close releases the log's scratch directory. Pending calls must have
// returned.
func (a *FileAudit) Close() error {
	err := a.scratch.close()
	if sErr := a.sync.close(); err == nil {
		err = sErr
	}
	return err
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
	if err := a.mkdirs(dir); err != nil {
		return err
	}
	tmp, err := a.scratch.temp(data)
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := a.sync.data(tmp); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, data) {
			return fmt.Errorf("a different record is already stored: %w", flow.ErrExists)
		}
		// Same record: flush anyway, its first writer may not have yet.
	} else if err != nil {
		return err
	}
	return a.sync.entries(dir)
}

// AuditDir is the directory of a record below the audit root, slash
// separated: <yyyy>/<mm>/<dd>/<request-id>, dated by rec.At in UTC.
func AuditDir(rec flow.AuditRecord) string {
	return rec.At.UTC().Format("2006/01/02") + "/" + rec.RequestID
}

// mkdirs makes dir and its missing parents, flushing each new directory's
// parent so the path survives a crash.
func (a *FileAudit) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	var created []string
	for d := dir; d != a.dir; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range created {
		if err := a.sync.entries(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
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
