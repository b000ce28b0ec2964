package local

import (
	"os"
	"sync"
)

// Durability says how a store makes its writes durable. Every mode fsyncs
// before a write returns; they differ in how many writes share one flush.
type Durability int

const (
	// GroupCommit batches the flushes of concurrent writers: one syncfs(2)
	// makes every write that finished before it started durable, so a burst
	// of N writes costs a handful of flushes instead of 2N fsyncs. It is the
	// default where syncfs is available (Linux on amd64 and arm64) and falls
	// back to PerFileSync elsewhere. syncfs also flushes unrelated dirty
	// data of the same file system; give the data directory its own volume
	// when that matters.
	GroupCommit Durability = iota
	// PerFileSync fsyncs each written file before it is renamed into place
	// and its directory after.
	PerFileSync
)

func (d Durability) String() string {
	if d == PerFileSync {
		return "fsync"
	}
	return "group"
}

// syncer makes writes durable. A writer calls data after writing a
// temporary file and before renaming it into place, and durable after the
// rename with the directories that changed (and the file, if its data was
// not flushed before).
type syncer interface {
	data(f *os.File) error
	durable(f *os.File, dirs ...string) error
	close() error
}

func newSyncer(root string, d Durability) (syncer, error) {
	if d == GroupCommit && haveSyncfs {
		return openGroup(root)
	}
	return fileSyncer{}, nil
}

// fileSyncer is PerFileSync.
type fileSyncer struct{}

func (fileSyncer) data(f *os.File) error { return f.Sync() }

func (fileSyncer) durable(f *os.File, dirs ...string) error {
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		d, err := os.Open(dir)
		if err != nil {
			return err
		}
		err = d.Sync()
		if cErr := d.Close(); err == nil {
			err = cErr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (fileSyncer) close() error { return nil }

// groupSyncer is GroupCommit: a barrier returns once a syncfs that started
// after the barrier was entered has finished, so it covers everything the
// caller wrote before. While one syncfs runs, every writer arriving meanwhile
// waits for the next one, which then covers them all.
//
// One syncfs flushes a whole file system, so the store and the audit log
// (and any other writer in the process) on one file system share one
// groupSyncer: a second, independent stream of syncfs calls would only
// flush the same journal twice as often.
type groupSyncer struct {
	dev  uint64
	refs int // guarded by groups.mu
	root *os.File

	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // generation of the last syncfs started
	done    uint64 // generation of the last syncfs finished
	running bool
	errs    map[uint64]error // recently failed generations
}

// groups holds the open groupSyncers, one per file system.
var groups struct {
	mu sync.Mutex
	m  map[uint64]*groupSyncer
}

// openGroup returns the groupSyncer of the file system root is on, opening
// it if it is the first writer there.
func openGroup(root string) (*groupSyncer, error) {
	dev, err := fsID(root)
	if err != nil {
		return nil, err
	}
	groups.mu.Lock()
	defer groups.mu.Unlock()
	if g := groups.m[dev]; g != nil {
		g.refs++
		return g, nil
	}
	f, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	g := &groupSyncer{dev: dev, refs: 1, root: f}
	g.cond = sync.NewCond(&g.mu)
	if groups.m == nil {
		groups.m = make(map[uint64]*groupSyncer)
	}
	groups.m[dev] = g
	return g, nil
}

func (g *groupSyncer) data(*os.File) error               { return g.barrier() }
func (g *groupSyncer) durable(*os.File, ...string) error { return g.barrier() }

func (g *groupSyncer) close() error {
	groups.mu.Lock()
	defer groups.mu.Unlock()
	if g.refs--; g.refs > 0 {
		return nil
	}
	delete(groups.m, g.dev)
	return g.root.Close()
}

func (g *groupSyncer) barrier() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	need := g.started + 1 // a running syncfs may have started before our write
	for g.done < need {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		gen := g.started
		g.mu.Unlock()
		err := syncfs(g.root)
		g.mu.Lock()
		g.running = false
		g.done = gen
		if err != nil {
			if g.errs == nil {
				g.errs = make(map[uint64]error)
			}
			g.errs[gen] = err
		}
		g.cond.Broadcast()
	}
	// Generation need covered our write, so its error is ours. Errors are
	// kept for a while: every waiter of a generation wakes and checks it
	// long before 64 more syncfs calls have run.
	for gen := range g.errs {
		if gen+64 < g.done {
			delete(g.errs, gen)
		}
	}
	return g.errs[need]
}
