package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

// newTestRepo creates an environment repository from this repository's own
// modules/ and envs/ and opens it.
func newTestRepo(t *testing.T) *GitRepo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	created, err := InitRepo(context.Background(), dir, filepath.Join("..", ".."), "main")
	if err != nil || !created {
		t.Fatalf("InitRepo = %v, %v; want created", created, err)
	}
	g, err := NewGitRepo(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func spec(id, env string, content string) flow.ChangeSpec {
	return flow.ChangeSpec{
		Project: "local", RequestID: id, Branch: "tfpilot/" + id, Title: "TfPilot: " + id,
		Files: []flow.FileChange{{Path: "envs/" + env + "/tfpilot_" + id + ".tf", Content: []byte(content)}},
	}
}

func destroySpec(id, env, target string) flow.ChangeSpec {
	return flow.ChangeSpec{
		Project: "local", RequestID: id, Branch: "tfpilot/" + id, Title: "TfPilot: destroy " + target,
		Files: []flow.FileChange{{Path: "envs/" + env + "/tfpilot_" + target + ".tf", Delete: true}},
	}
}

// git runs a git command in the test repository.
func git(t *testing.T, g *GitRepo, args ...string) string {
	t.Helper()
	out, err := g.git(context.Background(), args...).run()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInitRepoTwice(t *testing.T) {
	g := newTestRepo(t)
	created, err := InitRepo(context.Background(), g.Dir(), filepath.Join("..", ".."), "main")
	if err != nil || created {
		t.Fatalf("second InitRepo = %v, %v; want false, nil", created, err)
	}
	files := git(t, g, "ls-tree", "-r", "--name-only", "main")
	for _, want := range []string{"modules/s3-bucket/main.tf", "envs/dev/providers.tf", ".github/workflows/plan.yml", "README.md"} {
		if !strings.Contains(files, want+"\n") && !strings.HasSuffix(files, want) {
			t.Errorf("initial commit lacks %s; has:\n%s", want, files)
		}
	}
	if strings.Contains(files, "ci.yml") {
		t.Errorf("initial commit holds ci.yml, which belongs to TfPilot's own repository")
	}
}

func TestInitRepoNeedsSource(t *testing.T) {
	_, err := InitRepo(context.Background(), filepath.Join(t.TempDir(), "repo"), t.TempDir(), "main")
	if err == nil || !strings.Contains(err.Error(), "no modules/ folder") {
		t.Fatalf("InitRepo from an empty folder = %v; want an error naming modules/", err)
	}
}

func TestOpenChangeIdempotent(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	base := git(t, g, "rev-parse", "main")
	first, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := flow.Change{Branch: "tfpilot/a1", Number: 1, URL: "local PR #1", HeadSHA: first.HeadSHA, BaseSHA: base}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first OpenChange (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second OpenChange differs (-first +second):\n%s", diff)
	}
	if got := git(t, g, "rev-list", "--count", "main..tfpilot/a1"); got != "1" {
		t.Errorf("branch has %s commits over main; want 1", got)
	}
	if got := git(t, g, "show", "tfpilot/a1:envs/dev/tfpilot_a1.tf"); got != "# a" {
		t.Errorf("branch file = %q", got)
	}
	if _, err := os.Stat(filepath.Join(g.Dir(), "envs/dev/tfpilot_a1.tf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the working tree was touched: %v", err)
	}
	second, err := g.OpenChange(ctx, spec("b2", "dev", "# b\n"))
	if err != nil || second.Number != 2 {
		t.Errorf("another request = %+v, %v; want number 2", second, err)
	}
	edited, err := g.OpenChange(ctx, spec("a1", "dev", "# a, edited\n"))
	if err != nil {
		t.Fatal(err)
	}
	if edited.Number != 1 || edited.HeadSHA == first.HeadSHA {
		t.Errorf("edited change = %+v; want number 1 with a new head", edited)
	}
	if got := git(t, g, "rev-list", "--count", "main..tfpilot/a1"); got != "1" {
		t.Errorf("edited branch has %s commits over main; want 1", got)
	}
}

func TestMergeChange(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	c, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := g.MergeChange(ctx, "local", c)
	if err != nil {
		t.Fatal(err)
	}
	want := c
	want.Merged = true
	if diff := cmp.Diff(want, merged); diff != "" {
		t.Errorf("MergeChange (-want +got):\n%s", diff)
	}
	if got := git(t, g, "rev-parse", "main^2"); got != c.HeadSHA {
		t.Errorf("main's second parent = %s; want the change's commit %s", got, c.HeadSHA)
	}
	if got := git(t, g, "log", "-1", "--format=%s", "main"); got != "Merge local PR #1 from tfpilot/a1" {
		t.Errorf("merge subject = %q", got)
	}
	if got := git(t, g, "branch", "--list", "tfpilot/*"); got != "" {
		t.Errorf("branches left: %q", got)
	}
	// main is checked out: the working tree follows the merge.
	if data, err := os.ReadFile(filepath.Join(g.Dir(), "envs/dev/tfpilot_a1.tf")); err != nil || string(data) != "# a\n" {
		t.Errorf("working tree file = %q, %v", data, err)
	}
	if got := git(t, g, "status", "--porcelain"); got != "" {
		t.Errorf("working tree not clean after merge:\n%s", got)
	}
	again, err := g.MergeChange(ctx, "local", c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("second MergeChange (-want +got):\n%s", diff)
	}
	if got := git(t, g, "rev-list", "--count", "--merges", "main"); got != "1" {
		t.Errorf("main has %s merge commits; want 1", got)
	}
	reopened, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil || !reopened.Merged {
		t.Errorf("OpenChange after merge = %+v, %v; want the merged change", reopened, err)
	}
}

func TestMergeChangeStale(t *testing.T) {
	tests := []struct {
		name      string
		otherEnv  string
		wantStale bool
	}{
		{name: "base moved in the same root", otherEnv: "dev", wantStale: true},
		{name: "base moved in another root", otherEnv: "prod", wantStale: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			g := newTestRepo(t)
			mine, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
			if err != nil {
				t.Fatal(err)
			}
			other, err := g.OpenChange(ctx, spec("b2", tt.otherEnv, "# b\n"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.MergeChange(ctx, "local", other); err != nil {
				t.Fatal(err)
			}
			status, err := g.ChangeStatus(ctx, "local", mine)
			if err != nil {
				t.Fatal(err)
			}
			moved := status.HeadSHA != mine.HeadSHA
			if moved != tt.wantStale {
				t.Errorf("ChangeStatus moved = %v; want %v", moved, tt.wantStale)
			}
			got, err := g.MergeChange(ctx, "local", mine)
			if gotStale := errors.Is(err, flow.ErrStale); gotStale != tt.wantStale {
				t.Fatalf("MergeChange with the plan's head = %+v, %v; want stale %v", got, err, tt.wantStale)
			}
			if !tt.wantStale {
				return
			}
			tip := git(t, g, "rev-parse", "main")
			if got.BaseSHA != tip || got.Merged {
				t.Errorf("stale change = %+v; want unmerged on the new base %s", got, tip)
			}
			// After a re-plan the engine merges with the new head.
			done, err := g.MergeChange(ctx, "local", status)
			if err != nil || !done.Merged {
				t.Fatalf("MergeChange after re-plan = %+v, %v", done, err)
			}
			files := git(t, g, "ls-tree", "-r", "--name-only", "main", "envs/dev")
			if !strings.Contains(files, "tfpilot_a1.tf") || !strings.Contains(files, "tfpilot_b2.tf") {
				t.Errorf("main lacks a merged file:\n%s", files)
			}
		})
	}
}

func TestDestroyChange(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	if _, err := g.OpenChange(ctx, destroySpec("d0", "dev", "nothere")); !errors.Is(err, flow.ErrNotFound) {
		t.Fatalf("destroy of a file never merged = %v; want ErrNotFound", err)
	}
	c, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.MergeChange(ctx, "local", c); err != nil {
		t.Fatal(err)
	}
	d, err := g.OpenChange(ctx, destroySpec("d1", "dev", "a1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.MergeChange(ctx, "local", d); err != nil {
		t.Fatal(err)
	}
	if files := git(t, g, "ls-tree", "-r", "--name-only", "main", "envs/dev"); strings.Contains(files, "tfpilot_a1.tf") {
		t.Errorf("destroyed file still on main:\n%s", files)
	}
	if _, err := os.Stat(filepath.Join(g.Dir(), "envs/dev/tfpilot_a1.tf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("destroyed file still in the working tree: %v", err)
	}
}

func TestCloseChange(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	c, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := g.CloseChange(ctx, "local", c); err != nil {
			t.Fatal(err)
		}
	}
	if got := git(t, g, "branch", "--list", "tfpilot/*"); got != "" {
		t.Errorf("branches left: %q", got)
	}
	got, err := g.ChangeStatus(ctx, "local", c)
	if err != nil || !got.Closed {
		t.Errorf("ChangeStatus of a closed change = %+v, %v", got, err)
	}
	if _, err := g.MergeChange(ctx, "local", flow.Change{Branch: "tfpilot/never"}); !errors.Is(err, flow.ErrNotFound) {
		t.Errorf("MergeChange of an unknown change = %v; want ErrNotFound", err)
	}
}

func TestCatalog(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	// An uncommitted module in the working tree is not part of the base branch.
	if err := os.MkdirAll(filepath.Join(g.Dir(), "modules", "zz-draft"), 0o755); err != nil {
		t.Fatal(err)
	}
	cat, err := g.Catalog(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range cat.Modules {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"ecs-service", "iam-role-app", "s3-bucket", "sqs-queue"}, names); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	again, err := g.Catalog(ctx, "local")
	if err != nil || again != cat {
		t.Errorf("second Catalog = %p, %v; want the cached %p", again, err, cat)
	}
}

func TestCommitAuthor(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	ch, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := g.git(ctx, "commit-tree", ch.HeadSHA+"^{tree}", "-p", ch.HeadSHA, "-m", "by hand").
		withEnv("GIT_AUTHOR_NAME=Mallory").run()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ sha, want string }{{ch.HeadSHA, "TfPilot"}, {pushed, "Mallory"}}
	for _, tt := range tests {
		if got, err := g.CommitAuthor(ctx, "local", tt.sha); err != nil || got != tt.want {
			t.Errorf("CommitAuthor(%.12s) = %q, %v; want %q", tt.sha, got, err, tt.want)
		}
	}
	if got, err := g.CommitAuthor(ctx, "local", strings.Repeat("0", 40)); err == nil {
		t.Errorf("CommitAuthor of a missing commit = %q, want an error", got)
	}
}

// TestMergeChangeAfterCrash checks that a merge that made its merge commit
// and deleted the branch but crashed before recording it (the record on
// disk is the one from before the merge) finishes on the next call: merged,
// once, with no error and no branch left.
func TestMergeChangeAfterCrash(t *testing.T) {
	ctx := context.Background()
	g := newTestRepo(t)
	c, err := g.OpenChange(ctx, spec("a1", "dev", "# a\n"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(g.bookPath())
	if err != nil {
		t.Fatal(err)
	}
	first, err := g.MergeChange(ctx, "local", c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.bookPath(), before, 0o600); err != nil { // the record was never saved
		t.Fatal(err)
	}
	again, err := g.MergeChange(ctx, "local", c)
	if err != nil {
		t.Fatalf("MergeChange after the crash: %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("MergeChange after the crash (-first +again):\n%s", diff)
	}
	if got := git(t, g, "rev-list", "--count", "--merges", "main"); got != "1" {
		t.Errorf("main has %s merge commits; want 1", got)
	}
	if got := git(t, g, "branch", "--list", "tfpilot/*"); got != "" {
		t.Errorf("branches left: %q", got)
	}
	book, err := g.loadBook()
	if err != nil {
		t.Fatal(err)
	}
	if rec := book.Changes[c.Branch]; !rec.Merged || rec.MergeSHA != git(t, g, "rev-parse", "main") {
		t.Errorf("record after the crash: %+v", rec)
	}
	// A change the book does not know is still not found.
	if _, err := g.MergeChange(ctx, "local", flow.Change{Branch: "tfpilot/nope", HeadSHA: c.HeadSHA}); !errors.Is(err, flow.ErrNotFound) {
		t.Errorf("unknown change: err = %v, want ErrNotFound", err)
	}
}
