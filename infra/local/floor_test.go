package local

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestFloorMeasure checks that the floor does the durable work it stands
// for: every transition leaves its audit record, every request its record,
// of the sizes asked, where the store and the audit log keep them (the
// audit records under the day asked).
func TestFloorMeasure(t *testing.T) {
	type written struct {
		Records, Audits         int
		RecordSizes, AuditSizes map[int64]int
	}
	day := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	tests := []struct {
		name  string
		floor Floor
		n     int
		want  written
	}{
		{"one writer, a request every 4", Floor{Writers: 1, PerRequest: 4, RecordSize: 700, AuditSize: 90, At: day}, 10,
			written{Records: 3, Audits: 10, RecordSizes: map[int64]int{700: 3}, AuditSizes: map[int64]int{90: 10}}},
		{"four writers, a request each time", Floor{Writers: 4, PerRequest: 1, RecordSize: 5000, AuditSize: 300, At: day}, 9,
			written{Records: 9, Audits: 9, RecordSizes: map[int64]int{5000: 9}, AuditSizes: map[int64]int{300: 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			rate, err := tt.floor.Measure(t.Context(), root, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if rate <= 0 {
				t.Errorf("rate = %v, want > 0", rate)
			}
			got := written{RecordSizes: map[int64]int{}, AuditSizes: map[int64]int{}}
			count := func(dir string, n *int, sizes map[int64]int) {
				err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
						return err
					}
					fi, err := os.Stat(path)
					if err != nil {
						return err
					}
					*n++
					sizes[fi.Size()]++
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			count(filepath.Join(root, "floor", "requests"), &got.Records, got.RecordSizes)
			count(filepath.Join(root, "audit", "2026", "03", "14"), &got.Audits, got.AuditSizes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFloorMeasureRefusesNoWork(t *testing.T) {
	if _, err := (Floor{Writers: 1, PerRequest: 1, RecordSize: 1}).Measure(t.Context(), t.TempDir(), 1); err == nil {
		t.Error("Measure with no audit size: no error")
	}
}

// TestFloorMeasureTwice measures twice under one root, as
// BenchmarkEngineStep does before and after the engine: the second
// measurement's requests are new ones beside the first's.
func TestFloorMeasureTwice(t *testing.T) {
	root := t.TempDir()
	f := Floor{Writers: 2, PerRequest: 3, RecordSize: 100, AuditSize: 50, At: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)}
	for i := range 2 {
		if _, err := f.Measure(t.Context(), root, 6); err != nil {
			t.Fatalf("measure %d: %v", i+1, err)
		}
	}
	records, err := filepath.Glob(filepath.Join(root, "floor", "requests", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 4 {
		t.Errorf("%d records after two measurements of 6 transitions, 3 per request: want 4 or more", len(records))
	}
}
