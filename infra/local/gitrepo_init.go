package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// templateWorkflows are the workflows of an environment repository (ci.yml
// belongs to the TfPilot repository itself).
var templateWorkflows = []string{"plan.yml", "apply.yml"}

const envRepoReadme = `# TfPilot environment repository (local mode)

Created by ` + "`bot local`" + ` from the TfPilot repository's modules/ and envs/.
Every request is a branch tfpilot/<request id> with one commit; applying it
merges the branch into this branch. See the history with

    git log --graph --oneline --all
`

const envRepoIgnore = `.terraform/
*.tfstate
*.tfstate.*
tfplan
`

// InitRepo creates the environment repository at dir from the TfPilot
// repository at srcRoot: its modules/, envs/ and the plan and apply
// workflows, committed on branch baseBranch. When dir already holds a git
// repository it is left alone and created is false. The repository is built
// in a temporary sibling folder and renamed into place, so an interrupted
// first run never leaves half a repository behind.
func InitRepo(ctx context.Context, dir, srcRoot, baseBranch string) (created bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return false, nil
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return false, fmt.Errorf("create environment repository: %s exists and is not a git repository", dir)
	}
	for _, need := range []string{"modules", "envs"} {
		if fi, err := os.Stat(filepath.Join(srcRoot, need)); err != nil || !fi.IsDir() {
			return false, fmt.Errorf("create environment repository: %s has no %s/ folder; run from the TfPilot repository root or pass --repo", srcRoot, need)
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return false, fmt.Errorf("create environment repository: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-repo-")
	if err != nil {
		return false, fmt.Errorf("create environment repository: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := fillTemplate(srcRoot, tmp); err != nil {
		return false, fmt.Errorf("create environment repository: %w", err)
	}
	for _, args := range [][]string{
		{"init", "--quiet", "--initial-branch=" + baseBranch},
		{"add", "--all"},
		{"commit", "--quiet", "-m", "Environment repository from TfPilot's modules/ and envs/"},
	} {
		if _, err := runGit(gitCommand(ctx, tmp, nil, nil, args...)); err != nil {
			return false, fmt.Errorf("create environment repository: %w", err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("create environment repository: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return false, fmt.Errorf("create environment repository: %w", err)
	}
	return true, nil
}

// fillTemplate copies what an environment repository needs from srcRoot.
func fillTemplate(srcRoot, dst string) error {
	for _, d := range []string{"modules", "envs"} {
		if err := copyTree(filepath.Join(srcRoot, d), filepath.Join(dst, d)); err != nil {
			return err
		}
	}
	for _, wf := range templateWorkflows {
		src := filepath.Join(srcRoot, ".github", "workflows", wf)
		data, err := os.ReadFile(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dst, ".github", "workflows", wf), data, 0o644); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dst, "README.md"), []byte(envRepoReadme), 0o644); err != nil {
		return err
	}
	return writeFile(filepath.Join(dst, ".gitignore"), []byte(envRepoIgnore), 0o644)
}

// copyTree copies regular files, skipping Terraform's working files and
// state, which never belong in a repository.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && name == ".terraform" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || strings.Contains(name, ".tfstate") || name == "tfplan" {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(dst, rel), data, 0o644)
	})
}

func writeFile(p string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, mode)
}
