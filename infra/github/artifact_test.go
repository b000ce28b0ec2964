package github

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// TestPlanArtifactLimits: a plan artifact is refused unread, with a message
// that says what to do, when the archive or its plan.json is over the limit
// or plan.json inflates past what its header declares (a zip bomb); a plan
// within the limit is summarised.
func TestPlanArtifactLimits(t *testing.T) {
	const limit = 64 << 10
	small := []byte(`{"format_version":"1.2","resource_changes":[]}`)
	// 1 MiB of JSON that deflates to a few KiB: under the limit as
	// downloaded, over it once inflated.
	padded := append(append([]byte(`{"format_version":"1.2",`), bytes.Repeat([]byte(" "), 1<<20)...), `"resource_changes":[]}`...)
	noise := make([]byte, limit+1)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name    string
		archive []byte
		want    string // in the user message; "" for a summary
	}{
		{"within the limit", zipOf(t, map[string][]byte{"plan.json": small}), ""},
		{"plan.json over the limit", zipOf(t, map[string][]byte{"plan.json": padded}),
			"the plan of run %d is too large to summarise here: plan.json in artifact tfpilot-plan-" + reqID + " is over the 65536 bytes TfPilot reads. " +
				"Review the plan on the run's page (https://github.com/acme/infra/actions/runs/%d), and split the change into smaller requests or ask an operator to raise the limit"},
		{"archive over the limit", zipOf(t, map[string][]byte{"plan.json": small, "plan.txt": noise}),
			"is too large to summarise here: artifact tfpilot-plan-" + reqID + " is over the 65536 bytes TfPilot reads."},
		{"header says less than it holds", lyingZip(t, "plan.json", padded, 100),
			"the plan artifact of run %d is corrupt or forged (plan.json in tfpilot-plan-" + reqID + " inflates past the size its archive declares), so it was not read: plan again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c, err := New(Options{
				HTTPClient: e.f.Client(), BaseURL: e.f.URL, Token: ghfake.Token,
				Projects: map[string]Repo{project: {Owner: "acme", Name: "infra", BaseBranch: "main"}},
				Logger:   zaptest.NewLogger(t), Summarize: e.sum.Summarize, Sleep: e.clk.Sleep, Now: e.clk.Now,
				MaxPlanJSON: limit,
			})
			if err != nil {
				t.Fatal(err)
			}
			id := e.f.AddRun(fullRepo, "plan", "main", map[string]string{"request_id": reqID, "environment": "dev"})
			e.f.CompleteRun(id, "success")
			e.f.SetArtifact(id, tt.archive)

			_, err = c.PlanResult(context.Background(), project, flow.Run{Workflow: flow.WorkflowPlan, ID: id})
			if tt.want == "" {
				if err != nil || len(e.sum.got) != 1 {
					t.Fatalf("PlanResult: %v, %d summarised; want a summary", err, len(e.sum.got))
				}
				return
			}
			var ue *flow.UserError
			if !errors.As(err, &ue) || !errors.Is(err, ErrBadArtifact) {
				t.Fatalf("PlanResult: %v; want a *flow.UserError wrapping ErrBadArtifact", err)
			}
			want := strings.ReplaceAll(tt.want, "%d", itoa(id))
			if !strings.Contains(ue.Msg, want) {
				t.Errorf("message\n %q\nlacks\n %q", ue.Msg, want)
			}
			if len(e.sum.got) != 0 {
				t.Errorf("a refused plan was summarised")
			}
		})
	}
}

// zipOf is a zip archive of files, deflated.
func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lyingZip is a zip whose one file, data, declares it inflates to declared
// bytes: a zip bomb past a reader that trusts headers.
func lyingZip(t *testing.T, name string, data []byte, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	_, _ = fw.Write(data)
	_ = fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
