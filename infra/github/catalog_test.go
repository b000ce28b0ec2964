package github

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func moduleNames(t *testing.T, e *env) []string {
	t.Helper()
	cat, err := e.c.Catalog(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range cat.Modules {
		names = append(names, m.Name)
	}
	return names
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	want := []string{"ecs-service", "iam-role-app", "s3-bucket", "sqs-queue"}
	if diff := cmp.Diff(want, moduleNames(t, e)); diff != "" {
		t.Fatalf("modules (-want +got):\n%s", diff)
	}
	distinct := map[string]bool{} // equal files share a blob, read once; envs/ and the root README are not read
	for p, content := range baseFiles(t) {
		if strings.HasPrefix(p, "modules/") {
			distinct[content] = true
		}
	}
	if n := e.f.Calls("GET /repos/{owner}/{repo}/git/blobs/{sha}"); n != len(distinct) || n < 10 {
		t.Errorf("%d blob reads, want %d", n, len(distinct))
	}

	// Unchanged base: one conditional GET answered 304, nothing else.
	e.f.ResetCounts()
	moduleNames(t, e)
	if diff := cmp.Diff(map[string]int{"GET /repos/{owner}/{repo}/branches/{*}": 1}, e.f.Counts()); diff != "" {
		t.Errorf("calls on refresh (-want +got):\n%s", diff)
	}
	if e.f.NotModified() != 1 {
		t.Errorf("refresh was not a 304")
	}

	// One README changed: the new tree and only that blob are read.
	e.f.ResetCounts()
	e.f.CommitToBranch(fullRepo, "main", map[string]string{"modules/s3-bucket/README.md": "# s3-bucket\n\nA new description.\n"})
	cat, err := e.c.Catalog(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.f.Calls("GET /repos/{owner}/{repo}/git/blobs/{sha}"); n != 1 {
		t.Errorf("%d blob reads after one file changed, want 1", n)
	}
	if m, ok := cat.Module("s3-bucket"); !ok || m.Description != "A new description." {
		t.Errorf("s3-bucket description = %+v", m)
	}
}

func TestCatalogReportsBrokenModule(t *testing.T) {
	e := newEnv(t)
	e.f.CommitToBranch(fullRepo, "main", map[string]string{"modules/sqs-queue/variables.tf": "variable \"name\" {\n  type = \n}\n"})
	cat, err := e.c.Catalog(context.Background(), project)
	if err != nil {
		t.Fatalf("one broken module failed the catalogue: %v", err)
	}
	names := []string{}
	for _, m := range cat.Modules {
		names = append(names, m.Name)
	}
	if slices.Contains(names, "sqs-queue") || len(names) != 3 {
		t.Errorf("modules = %v, want the three good ones", names)
	}
	if len(cat.Diagnostics) == 0 || !strings.Contains(cat.Diagnostics.Error(), "sqs-queue/variables.tf") {
		t.Errorf("diagnostics = %v", cat.Diagnostics)
	}

	for _, m := range []string{"ecs-service", "iam-role-app", "s3-bucket"} {
		e.f.CommitToBranch(fullRepo, "main", map[string]string{"modules/" + m + "/variables.tf": "variable {"})
	}
	if _, err := e.c.Catalog(context.Background(), project); err == nil {
		t.Error("a catalogue with no loadable module did not fail")
	}
}
