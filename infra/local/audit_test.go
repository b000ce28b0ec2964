package local

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

func TestAuditLayout(t *testing.T) {
	dir := t.TempDir()
	a, err := NewFileAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	at := time.Date(2026, 1, 2, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)) // 2026-01-03 in UTC
	rec := flow.AuditRecord{RequestID: "0195a3c0-0000-7000-8000-000000000001", Seq: 12, At: at, Event: "approve"}
	if err := a.Record(t.Context(), rec); err != nil {
		t.Fatalf("Record: %v", err)
	}
	path := filepath.Join(dir, "audit", "2026", "01", "03", rec.RequestID, "12.json")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("record not at %s: %v", path, err)
	}
}

// TestAuditRepairsTornRecord simulates a crash between linking a record
// into place and flushing it: the name holds a torn record. It is not part
// of the log, and the engine's retry of the record replaces it.
func TestAuditRepairsTornRecord(t *testing.T) {
	for _, torn := range []string{"", `{"request_id":"0195a3c0-0000-7000-8000-000000000001","seq":1,"at":"20`} {
		dir := t.TempDir()
		a, err := NewFileAudit(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		rec := flow.AuditRecord{RequestID: "0195a3c0-0000-7000-8000-000000000001", Seq: 1,
			At: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), Event: "confirm", From: flow.Confirming, To: flow.OpeningPR}
		path := filepath.Join(dir, "audit", "2026", "01", "03", rec.RequestID, "1.json")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(torn), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := a.Records(t.Context(), rec.RequestID); err != nil || len(got) != 0 {
			t.Errorf("Records with a torn record = %v, %v; want none", got, err)
		}
		if err := a.Record(t.Context(), rec); err != nil {
			t.Fatalf("Record over a torn record: %v", err)
		}
		got, err := a.Records(t.Context(), rec.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]flow.AuditRecord{rec}, got); diff != "" {
			t.Errorf("Records after the retry (-want +got):\n%s", diff)
		}
	}
}

// TestAuditLinkRefused checks that a record whose unnamed file cannot be
// linked (a restricted /proc) is written the other way, and so are the
// records after it.
func TestAuditLinkRefused(t *testing.T) {
	a, err := NewFileAudit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !a.unnamed.Load() {
		skipOutsideCI(t, "no unnamed files (O_TMPFILE and /proc) here: every record is written through the scratch directory already")
	}
	calls := 0
	link = func(*os.File, string) error { calls++; return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	defer func() { link = linkUnnamed }()
	at := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	want := []flow.AuditRecord{
		{RequestID: "0195a3c0-0000-7000-8000-000000000001", Seq: 1, At: at, Event: "confirm"},
		{RequestID: "0195a3c0-0000-7000-8000-000000000001", Seq: 2, At: at, Event: "approve"},
	}
	for _, rec := range want {
		if err := a.Record(t.Context(), rec); err != nil {
			t.Fatalf("Record %d with linking refused: %v", rec.Seq, err)
		}
	}
	if calls != 1 {
		t.Errorf("link tried %d times, want once (then the other way for good)", calls)
	}
	got, err := a.Records(t.Context(), want[0].RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Records (-want +got):\n%s", diff)
	}
}

// TestAuditLinkFails: a link that fails for the file system's own reasons
// (here, a full disk) fails the record, and the next record still tries
// unnamed files: only a refused link makes the log give them up.
func TestAuditLinkFails(t *testing.T) {
	a, err := NewFileAudit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !a.unnamed.Load() {
		skipOutsideCI(t, "no unnamed files (O_TMPFILE and /proc) here")
	}
	link = func(*os.File, string) error { return &os.LinkError{Op: "link", Err: syscall.ENOSPC} }
	defer func() { link = linkUnnamed }()
	rec := flow.AuditRecord{RequestID: "0195a3c0-0000-7000-8000-000000000002", Seq: 1,
		At: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), Event: "confirm"}
	if err := a.Record(t.Context(), rec); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Record with a full disk: %v, want ENOSPC", err)
	}
	if !a.unnamed.Load() {
		t.Error("a full disk made the log give up unnamed files")
	}
	link = linkUnnamed
	if err := a.Record(t.Context(), rec); err != nil {
		t.Fatalf("Record once the disk has room: %v", err)
	}
}
