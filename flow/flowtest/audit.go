package flowtest

import (
	"context"
	"slices"
	"sync"

	"github.com/tfpilot/tfpilot/flow"
)

// Audit is an in-memory flow.Audit. Writing the same (RequestID, Seq) twice
// keeps one record.
type Audit struct {
	Faults
	mu   sync.Mutex
	recs []flow.AuditRecord
	keys map[auditKey]bool
}

type auditKey struct {
	id  string
	seq int64
}

var _ flow.Audit = (*Audit)(nil)

// NewAudit returns an empty audit log.
func NewAudit() *Audit { return &Audit{keys: map[auditKey]bool{}} }

// Record implements flow.Audit.
func (a *Audit) Record(ctx context.Context, rec flow.AuditRecord) error {
	if err := a.hit(ctx, "Record"); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := auditKey{rec.RequestID, rec.Seq}
	if a.keys[k] {
		return nil
	}
	a.keys[k] = true
	a.recs = append(a.recs, rec)
	return nil
}

// Records returns the records of request id (all when id is empty) in Seq order.
func (a *Audit) Records(id string) []flow.AuditRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []flow.AuditRecord
	for _, r := range a.recs {
		if id == "" || r.RequestID == id {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(x, y flow.AuditRecord) int {
		if x.RequestID != y.RequestID {
			if x.RequestID < y.RequestID {
				return -1
			}
			return 1
		}
		return int(x.Seq - y.Seq)
	})
	return out
}
