package registry

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// resetParseCache empties the parse cache, so that the next Load parses
// every file.
func resetParseCache() {
	parses.Lock()
	defer parses.Unlock()
	clear(parses.m)
	parses.bytes = 0
}

// widgetFS is the widget fixture as a MapFS, to change between loads.
func widgetFS(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range []string{"variables.tf", "main.tf", "outputs.tf", "README.md"} {
		data, err := os.ReadFile("testdata/catalog/widget/" + f)
		if err != nil {
			t.Fatal(err)
		}
		fsys["widget/"+f] = &fstest.MapFile{Data: data}
	}
	return fsys
}

func inputSummaries(t *testing.T, fsys fstest.MapFS) ([]inputSummary, *Module) {
	t.Helper()
	cat, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	m := mustModule(t, cat, "widget")
	var out []inputSummary
	for _, in := range m.Inputs {
		out = append(out, summarize(in))
	}
	return out, m
}

func TestLoadReusesOnlyIdenticalParses(t *testing.T) {
	resetParseCache()
	fsys := widgetFS(t)
	first, m1 := inputSummaries(t, fsys)
	second, m2 := inputSummaries(t, fsys)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("second load differs (-first +second):\n%s", diff)
	}
	c1, _ := m1.Input("name")
	c2, _ := m2.Input("name")
	if c1.Validations[0].Condition != c2.Validations[0].Condition {
		t.Error("an unchanged file was parsed again")
	}

	// Same path, new content: parsed again.
	vars := string(fsys["widget/variables.tf"].Data)
	fsys["widget/variables.tf"] = &fstest.MapFile{Data: []byte(strings.Replace(vars, "length(var.name) <= 40", "length(var.name) <= 30", 1))}
	_, m3 := inputSummaries(t, fsys)
	name, _ := m3.Input("name")
	if _, err := m3.Resolve(map[string]string{"name": strings.Repeat("a", 35)}); err == nil || name.Validations[1].Condition == c1.Validations[1].Condition {
		t.Errorf("a changed file was not parsed again: 35-character name accepted (err %v)", err)
	}

	// A file that does not parse is not kept: its diagnostics come every time.
	fsys["widget/outputs.tf"] = &fstest.MapFile{Data: []byte("output \"x\" {\n")}
	for range 2 {
		cat, err := Load(fsys)
		if err == nil || len(cat.Diagnostics) == 0 || cat.Diagnostics[0].File != "widget/outputs.tf" {
			t.Errorf("broken file: err = %v, diagnostics %v", err, cat.Diagnostics)
		}
	}
}

func TestParseCacheIsBoundedAndSafeForConcurrentLoads(t *testing.T) {
	resetParseCache()
	fsys := widgetFS(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if _, err := Load(fsys); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	big := []byte(strings.Repeat("# filler\n", maxCachedSource/9/3))
	for i := range 5 {
		parseFile(append(slices.Clone(big), byte('0'+i)), "big.tf")
	}
	parses.Lock()
	defer parses.Unlock()
	if parses.bytes > maxCachedSource {
		t.Errorf("cache holds %d bytes of source, bound is %d", parses.bytes, maxCachedSource)
	}
}
