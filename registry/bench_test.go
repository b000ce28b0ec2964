package registry

import (
	"fmt"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tfpilot/tfpilot/internal/cputime"
)

// generatedCatalog is n copies of the widget fixture under different names:
// ~15 variables with validations, locals, resources, outputs and a README each.
// That is 3 .tf files, 157 lines and 4.0 KB of HCL a module, about half the size of
// the real modules (4 .tf files, 201-368 lines, 7.3-14.7 KB), so it does
// not flatter Load.
func generatedCatalog(b *testing.B, n int) fstest.MapFS {
	b.Helper()
	fsys := fstest.MapFS{}
	for _, f := range []string{"variables.tf", "main.tf", "outputs.tf", "README.md"} {
		data, err := os.ReadFile("testdata/catalog/widget/" + f)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			fsys[fmt.Sprintf("module-%03d/%s", i, f)] = &fstest.MapFile{Data: data}
		}
	}
	return fsys
}

// BenchmarkLoadCatalog loads a generated catalogue of 100 modules from
// scratch: the parse cache is emptied before every load, so every file is
// parsed (issue 2's target: under 50 ms).
func BenchmarkLoadCatalog(b *testing.B) {
	benchmarkLoad(b, true)
}

// BenchmarkLoadCatalogReload loads the same catalogue again with the parse
// cache warm, as a refresh after a merge that changed no module does.
func BenchmarkLoadCatalogReload(b *testing.B) {
	benchmarkLoad(b, false)
}

func benchmarkLoad(b *testing.B, cold bool) {
	fsys := generatedCatalog(b, 100)
	if !cold {
		if _, err := Load(fsys); err != nil { // fill the parse cache
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	m := startMeasure()
	for b.Loop() {
		if cold {
			resetParseCache()
		}
		cat, err := Load(fsys)
		if err != nil || len(cat.Modules) != 100 {
			b.Fatalf("Load: %d modules, %v", len(cat.Modules), err)
		}
	}
	m.report(b, time.Millisecond, "ms/load")
}

// measure is the wall and process CPU time at the start of a benchmark loop.
type measure struct {
	start  time.Time
	cpu    time.Duration
	hasCPU bool
}

func startMeasure() measure {
	cpu, ok := cputime.Process()
	return measure{start: time.Now(), cpu: cpu, hasCPU: ok}
}

// report reports wall time per operation in unit ("ms/load"), and, where
// measured, process CPU time per operation as "cpu-"+unit: all threads, so
// it exceeds wall time when work runs in parallel, and it counts the
// garbage collector.
func (m measure) report(b *testing.B, per time.Duration, unit string) {
	n := float64(b.N)
	b.ReportMetric(float64(time.Since(m.start))/float64(per)/n, unit)
	if cpu, ok := cputime.Process(); ok && m.hasCPU {
		b.ReportMetric(float64(cpu-m.cpu)/float64(per)/n, "cpu-"+unit)
	}
}

func BenchmarkRender(b *testing.B) {
	m := mustModule(b, loadTestdata(b, "catalog"), "widget")
	spec := testSpec(map[string]string{
		"name": "orders", "fifo": "true", "visibility_timeout_seconds": "60", "mode": "priority",
		"subnet_ids": "subnet-1, subnet-2", "tags": "team=payments, tier=gold", "comment": "hello ${world}",
	})
	spec.ExistingFiles = []string{"versions.tf", "providers.tf", "backend.tf"}
	b.ReportAllocs()
	meas := startMeasure()
	for b.Loop() {
		if _, err := Render(m, spec); err != nil {
			b.Fatal(err)
		}
	}
	meas.report(b, time.Microsecond, "µs/render")
}

func BenchmarkResolve(b *testing.B) {
	m := mustModule(b, loadTestdata(b, "catalog"), "widget")
	raw := map[string]string{"Visibility Timeout Seconds": "60", "subnetIds": "subnet-1, subnet-2", "name": "orders"}
	b.ReportAllocs()
	meas := startMeasure()
	for b.Loop() {
		if _, err := m.Resolve(raw); err != nil {
			b.Fatal(err)
		}
	}
	meas.report(b, time.Microsecond, "µs/resolve")
}
