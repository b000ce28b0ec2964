package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// Floor is the durable work of engine transitions with nothing else around
// it: no engine, no encoding, no locks and no conditional read, only what
// the disk must do for a transition to be durable, through the flusher the
// store and the audit log use. Each transition rewrites a request record as
// FileStore.Update does (the spare overwritten and flushed, swapped with
// the record, the swap flushed; a request's first transition creates the
// record as FileStore.Create does) and appends an audit record as
// FileAudit.Record does (a new file linked under its name, then flushed).
// As in the engine, where the request's runner writes the audit record
// after the transition is saved, a request's audit records are written
// while its next record is.
//
// BenchmarkEngineStep (flow) measures it in the same run as the engine, on
// the same disk and with the same shape, so that the engine's rate can be
// read as a share of what the disk allows.
type Floor struct {
	Writers    int // requests written at once, each by its own writer
	PerRequest int // transitions per request; the first creates it
	RecordSize int // bytes of a request record
	AuditSize  int // bytes of an audit record
	// At is the time of the audit records, which are filed by day (see
	// AuditDir): pass the engine's, and the floor's audit records go where the
	// engine's went, in the directories and on the parts of the disk the
	// file system chose for those.
	At time.Time
}

// Measure makes n transitions durable under the data folder root and
// returns how many it made durable per second. Its audit records go where
// the engine's go, under root/audit (their requests are new ones, whose IDs
// start with f1), so that new files come from the same parts of the disk;
// its records go to a store of its own, under root/floor, out of the way
// of an engine listing its requests. What it writes is left for the caller
// to remove.
func (f Floor) Measure(ctx context.Context, root string, n int, opts ...Option) (float64, error) {
	if f.Writers < 1 || f.PerRequest < 1 || f.RecordSize < 1 || f.AuditSize < 1 {
		return 0, fmt.Errorf("measure floor: want writers, transitions per request and sizes of 1 or more, have %+v", f)
	}
	s, err := NewFileStore(filepath.Join(root, "floor"), opts...)
	if err != nil {
		return 0, fmt.Errorf("measure floor: %w", err)
	}
	defer s.Close()
	a, err := NewFileAudit(root, opts...)
	if err != nil {
		return 0, fmt.Errorf("measure floor: %w", err)
	}
	defer a.Close()
	record := append(bytes.Repeat([]byte{'r'}, f.RecordSize-1), '\n')
	audit := append(bytes.Repeat([]byte{'a'}, f.AuditSize-1), '\n')

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var left, requests atomic.Int64
	left.Store(int64(n))
	run := rand.Uint32() >> 8 // tells this measurement's requests from an earlier one's under root
	var wg sync.WaitGroup
	start := time.Now()
	for range f.Writers {
		wg.Go(func() {
			if err := f.write(ctx, s, a, record, audit, run, &left, &requests); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, fmt.Errorf("measure floor: %w", err)
	}
	return float64(n) / elapsed.Seconds(), nil
}

// write is one writer of Measure: it takes transitions from left until
// none are left, starting a new request every PerRequest of them, and
// returns once their audit records are durable too.
func (f Floor) write(ctx context.Context, s *FileStore, a *FileAudit, record, audit []byte, run uint32, left, requests *atomic.Int64) error {
	type auditJob struct {
		dir  string
		seq  int
		dirs []string // directories new with this record
	}
	jobs := make(chan auditJob, f.PerRequest)
	auditErr := make(chan error, 1)
	go func() {
		var err error
		for j := range jobs {
			if err == nil {
				err = a.put(j.dir, filepath.Join(j.dir, strconv.Itoa(j.seq)+".json"), audit, j.dirs)
			}
		}
		auditErr <- err
	}()
	err := func() error {
		var id, dir string
		for seq := 0; left.Add(-1) >= 0; seq++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			var newDirs []string
			if seq%f.PerRequest == 0 {
				id = fmt.Sprintf("f1%06x-0000-7000-8000-%012x", run, requests.Add(1))
				if err := s.put(id, record); err != nil {
					return fmt.Errorf("create %s: %w", id, err)
				}
				dir = filepath.Join(a.dir, filepath.FromSlash(AuditDir(flow.AuditRecord{RequestID: id, At: f.At})))
				var err error
				if newDirs, err = a.mkdirs(dir); err != nil {
					return err
				}
			} else if err := s.replace(id, record); err != nil {
				return fmt.Errorf("update %s: %w", id, err)
			}
			jobs <- auditJob{dir: dir, seq: seq, dirs: newDirs}
		}
		return nil
	}()
	close(jobs)
	return errors.Join(err, <-auditErr)
}
