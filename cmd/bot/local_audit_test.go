package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/local"
)

// writeTree lays out files (slash paths; a path ending in / is an empty
// folder) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if name[len(name)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree is the inverse of writeTree.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if entries, err := os.ReadDir(p); err == nil && len(entries) == 0 {
				files[rel+"/"] = ""
			}
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestMigrateAudit(t *testing.T) {
	const day, next = "2026/01/03/0190f5e4-8c2a-7b3d-9e4f-123456789abc/", "2026/01/04/0190f5e4-8c2a-7b3d-9e4f-123456789abd/"
	tests := []struct {
		name      string
		before    map[string]string
		after     map[string]string
		wantMoved bool
		wantErr   bool
	}{
		{"new layout: nothing to do",
			map[string]string{"audit/" + day + "1.json": "a", "tmp/": ""},
			map[string]string{"audit/" + day + "1.json": "a", "tmp/": ""}, false, false},
		{"old layout moves up, old scratch goes",
			map[string]string{"audit/audit/" + day + "1.json": "a", "audit/audit/" + next + "1.json": "b", "audit/tmp/": ""},
			map[string]string{"audit/" + day + "1.json": "a", "audit/" + next + "1.json": "b"}, true, false},
		{"a crashed writer's scratch files go",
			map[string]string{"audit/audit/" + day + "1.json": "a", "audit/tmp/x.lock": "", "audit/tmp/x/w-1": "torn"},
			map[string]string{"audit/" + day + "1.json": "a"}, true, false},
		{"both layouts merge; a record in both with the same bytes is kept once",
			map[string]string{"audit/audit/" + day + "1.json": "a", "audit/audit/" + day + "2.json": "b", "audit/" + day + "2.json": "b", "audit/" + day + "3.json": "c"},
			map[string]string{"audit/" + day + "1.json": "a", "audit/" + day + "2.json": "b", "audit/" + day + "3.json": "c"}, true, false},
		{"a record in both with different bytes stops it, losing nothing",
			map[string]string{"audit/audit/" + day + "1.json": "a", "audit/" + day + "1.json": "b"},
			map[string]string{"audit/audit/" + day + "1.json": "a", "audit/" + day + "1.json": "b"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			writeTree(t, data, tt.before)
			moved, err := migrateAudit(data)
			if moved != tt.wantMoved || (err != nil) != tt.wantErr {
				t.Errorf("migrateAudit = %v, %v; want moved %v, error %v", moved, err, tt.wantMoved, tt.wantErr)
			}
			if diff := cmp.Diff(tt.after, readTree(t, data)); diff != "" {
				t.Errorf("data folder (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMigrateAuditOfEarlierBotLocal: records that earlier versions of bot
// local wrote (the audit log opened at DATA/audit) are read back from
// DATA after the migration.
func TestMigrateAuditOfEarlierBotLocal(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	rec := flow.AuditRecord{RequestID: "0190f5e4-8c2a-7b3d-9e4f-123456789abc", Seq: 1, At: time.Date(2026, 1, 3, 4, 5, 6, 0, time.UTC),
		Event: "start", To: flow.CollectingInputs, Actor: flow.Actor{ID: "alice"}}
	old, err := local.NewFileAudit(filepath.Join(data, "audit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Record(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if moved, err := migrateAudit(data); !moved || err != nil {
		t.Fatalf("migrateAudit = %v, %v", moved, err)
	}
	a, err := local.NewFileAudit(data)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got, err := a.Records(ctx, rec.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]flow.AuditRecord{rec}, got); diff != "" {
		t.Errorf("records after the migration (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(data, "audit", "audit")); !os.IsNotExist(err) {
		t.Errorf("DATA/audit/audit still there (err %v)", err)
	}
}
