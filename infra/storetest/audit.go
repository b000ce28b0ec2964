package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// AuditLog is an audit implementation that can also read its records back.
type AuditLog interface {
	flow.Audit
	// Records returns a request's records ordered by Seq; none (and no
	// error) for a request without records.
	Records(ctx context.Context, requestID string) ([]flow.AuditRecord, error)
}

// NewAudit makes a fresh, empty audit log for one test.
type NewAudit func(t *testing.T) AuditLog

// RunAudit runs the audit log conformance suite.
func RunAudit(t *testing.T, newAudit NewAudit) {
	t.Run("RoundTrip", func(t *testing.T) { testAuditRoundTrip(t, newAudit) })
	t.Run("SameRecordTwice", func(t *testing.T) { testAuditTwice(t, newAudit) })
	t.Run("DifferentRecordSameSeq", func(t *testing.T) { testAuditOverwrite(t, newAudit) })
	t.Run("Concurrent", func(t *testing.T) { testAuditConcurrent(t, newAudit) })
	t.Run("BadIDs", func(t *testing.T) { testAuditBadIDs(t, newAudit) })
}

func record(n int, seq int64, at time.Time) flow.AuditRecord {
	return flow.AuditRecord{
		RequestID: id(n), Seq: seq, At: at, Actor: flow.Actor{ID: "U1", Name: "Ada", Groups: []string{"S1"}},
		Event: "set_inputs", From: flow.CollectingInputs, To: flow.Confirming, Project: "payments",
		Environment: "prod", Module: "s3-bucket", Inputs: map[string]string{"name": "logs", "token": flow.Redacted},
		Result: "ok",
	}
}

func testAuditRoundTrip(t *testing.T, newAudit NewAudit) {
	a := newAudit(t)
	ctx := t.Context()
	midnight := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	recs := []flow.AuditRecord{
		record(1, 10, midnight.Add(time.Hour)), // the next day: records of one request span days
		record(1, 1, midnight.Add(-time.Hour)),
		record(2, 1, midnight.Add(-time.Hour)),
		record(1, 2, midnight.Add(-time.Minute).In(time.FixedZone("UTC+2", 2*3600))), // dated in UTC
	}
	recs[0].Denied, recs[0].Result, recs[0].Inputs = true, "not allowed: you cannot approve your own request", nil
	for _, rec := range recs {
		if err := a.Record(ctx, rec); err != nil {
			t.Fatalf("Record %s/%d: %v", rec.RequestID, rec.Seq, err)
		}
	}
	tests := []struct {
		name string
		id   string
		want []flow.AuditRecord
	}{
		{"by seq, numerically", id(1), []flow.AuditRecord{recs[1], recs[3], recs[0]}},
		{"one request only", id(2), []flow.AuditRecord{recs[2]}},
		{"no records", id(3), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.Records(ctx, tc.id)
			if err != nil {
				t.Fatalf("Records: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Records (-want +got):\n%s", diff)
			}
		})
	}
}

func testAuditTwice(t *testing.T, newAudit NewAudit) {
	a := newAudit(t)
	rec := record(1, 1, base)
	for i := range 2 {
		if err := a.Record(t.Context(), rec); err != nil {
			t.Fatalf("Record #%d: %v", i+1, err)
		}
	}
	got, err := a.Records(t.Context(), id(1))
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	if diff := cmp.Diff([]flow.AuditRecord{rec}, got); diff != "" {
		t.Errorf("Records (-want +got):\n%s", diff)
	}
}

func testAuditOverwrite(t *testing.T, newAudit NewAudit) {
	a := newAudit(t)
	first := record(1, 1, base)
	if err := a.Record(t.Context(), first); err != nil {
		t.Fatalf("Record: %v", err)
	}
	second := first
	second.Result = "rewritten"
	if err := a.Record(t.Context(), second); !errors.Is(err, flow.ErrExists) {
		t.Errorf("Record of a different record with the same seq = %v, want ErrExists", err)
	}
	got, err := a.Records(t.Context(), id(1))
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	if diff := cmp.Diff([]flow.AuditRecord{first}, got); diff != "" {
		t.Errorf("Records (-want +got):\n%s", diff)
	}
}

// testAuditConcurrent writes the same records from many goroutines at once
// (an effect retried while its first attempt is still running).
func testAuditConcurrent(t *testing.T, newAudit NewAudit) {
	a := newAudit(t)
	const writers, seqs = 6, 5
	var want []flow.AuditRecord
	for seq := range int64(seqs) {
		want = append(want, record(1, seq+1, base.Add(time.Duration(seq)*time.Second)))
	}
	errs := make([]error, writers*seqs)
	var wg sync.WaitGroup
	for w := range writers {
		for s, rec := range want {
			wg.Go(func() { errs[w*seqs+s] = a.Record(t.Context(), rec) })
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, err := a.Records(t.Context(), id(1))
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Records (-want +got):\n%s", diff)
	}
}

func testAuditBadIDs(t *testing.T, newAudit NewAudit) {
	a := newAudit(t)
	for _, bad := range []string{"", "../x", "a/b", "A0"} {
		rec := record(1, 1, base)
		rec.RequestID = bad
		if err := a.Record(t.Context(), rec); err == nil {
			t.Errorf("Record with request ID %q succeeded, want an invalid-ID error", bad)
		}
		if _, err := a.Records(t.Context(), bad); err == nil {
			t.Errorf("Records(%q) succeeded, want an invalid-ID error", bad)
		}
	}
}
