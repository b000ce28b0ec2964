package registry

import (
	"os"
	"testing"
)

// loadTestdata loads a catalogue folder under testdata and fails on any diagnostic.
func loadTestdata(t testing.TB, dir string) *Catalog {
	t.Helper()
	cat, err := Load(os.DirFS("testdata/" + dir))
	if err != nil {
		t.Fatalf("Load(testdata/%s): %v", dir, err)
	}
	return cat
}

func mustModule(t testing.TB, cat *Catalog, name string) *Module {
	t.Helper()
	m, ok := cat.Module(name)
	if !ok {
		t.Fatalf("module %q not in catalogue", name)
	}
	return m
}
