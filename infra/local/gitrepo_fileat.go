package local

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tfpilot/tfpilot/flow"
)

// FileAt implements flow.Repo with git: the content of path in commit sha,
// an error wrapping flow.ErrNotFound when the commit has no such file. A
// commit the repository does not have, a folder, a submodule or a file over
// flow.MaxFileAt is another error.
func (g *GitRepo) FileAt(ctx context.Context, project, sha, path string) ([]byte, error) {
	op := fmt.Sprintf("read %s at %.12s", path, sha)
	if strings.ContainsAny(sha+path, "\n\x00") {
		return nil, fmt.Errorf("%s: a line break in the name", op)
	}
	// One git call says whether the commit exists and what path is in it.
	out, err := g.git(ctx, "cat-file", "--batch-check=%(objecttype) %(objectsize) %(objectname)").
		input([]byte(sha + "^{commit}\n" + sha + ":" + path + "\n")).run()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "commit ") {
		return nil, fmt.Errorf("%s: the repository has no such commit", op)
	}
	f := strings.Fields(lines[1])
	switch {
	case strings.HasSuffix(lines[1], " missing") || len(f) != 3:
		return nil, fmt.Errorf("%s: no such file: %w", op, flow.ErrNotFound)
	case f[0] == "tree":
		return nil, fmt.Errorf("%s: it is a folder, not a file", op)
	case f[0] != "blob":
		return nil, fmt.Errorf("%s: it is a %s, not a file", op, f[0])
	}
	if size, err := strconv.ParseInt(f[1], 10, 64); err != nil || size > flow.MaxFileAt {
		return nil, fmt.Errorf("%s: it is %s bytes, more than TfPilot reads (%d)", op, f[1], flow.MaxFileAt)
	}
	b, err := runGitBytes(gitCommand(ctx, g.dir, nil, nil, "cat-file", "blob", f[2]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return b, nil
}
