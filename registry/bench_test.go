package registry

import (
	"fmt"
	"os"
	"testing"
	"testing/fstest"
	"time"
)

// generatedCatalog is n copies of the widget fixture under different names:
// ~15 variables with validations, locals, resources, outputs and a README each.
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

func BenchmarkLoadCatalog(b *testing.B) {
	fsys := generatedCatalog(b, 100)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		cat, err := Load(fsys)
		if err != nil || len(cat.Modules) != 100 {
			b.Fatalf("Load: %d modules, %v", len(cat.Modules), err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/load")
}

func BenchmarkRender(b *testing.B) {
	m := mustModule(b, loadTestdata(b, "catalog"), "widget")
	spec := testSpec(map[string]string{
		"name": "orders", "fifo": "true", "visibility_timeout_seconds": "60", "mode": "priority",
		"subnet_ids": "subnet-1, subnet-2", "tags": "team=payments, tier=gold", "comment": "hello ${world}",
	})
	spec.ExistingFiles = []string{"versions.tf", "providers.tf", "backend.tf"}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Render(m, spec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/1000/float64(b.N), "µs/render")
}

func BenchmarkResolve(b *testing.B) {
	m := mustModule(b, loadTestdata(b, "catalog"), "widget")
	raw := map[string]string{"Visibility Timeout Seconds": "60", "subnetIds": "subnet-1, subnet-2", "name": "orders"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Resolve(raw); err != nil {
			b.Fatal(err)
		}
	}
}
