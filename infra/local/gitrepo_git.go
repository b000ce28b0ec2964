package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// gitIdentity is the author and committer of every commit TfPilot makes, so
// the local repository works on a machine with no git configuration at all.
var gitIdentity = []string{
	"GIT_AUTHOR_NAME=TfPilot", "GIT_AUTHOR_EMAIL=tfpilot@localhost",
	"GIT_COMMITTER_NAME=TfPilot", "GIT_COMMITTER_EMAIL=tfpilot@localhost",
}

// gitEnv is the environment of every git command: the caller's, minus the
// variables that would point git at another repository or index, plus a
// fixed identity, no global or system configuration (a user's commit signing
// or hooks must not break TfPilot's plumbing), no prompts and C messages.
func gitEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
			"GIT_CONFIG", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "LC_ALL":
			continue
		}
		if strings.HasPrefix(name, "GIT_AUTHOR_") || strings.HasPrefix(name, "GIT_COMMITTER_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, gitIdentity...)
	env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	return append(env, extra...)
}

// gitCommand builds (without running) a git command in dir. env adds
// variables (GIT_INDEX_FILE for a scratch index); stdin may be nil.
func gitCommand(ctx context.Context, dir string, env []string, stdin []byte, args ...string) *exec.Cmd {
	full := append([]string{"-c", "commit.gpgsign=false", "-c", "core.hooksPath=" + os.DevNull}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = dir
	cmd.Env = gitEnv(env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd
}

// gitError is a git command that exited non-zero, with what it said.
type gitError struct {
	Args   []string
	Code   int
	Stderr string
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.Code)
	}
	return "git " + strings.Join(e.Args, " ") + ": " + msg
}

// runGit runs a built command and returns its standard output with the
// trailing newline removed.
func runGit(cmd *exec.Cmd) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", &gitError{Args: gitArgs(cmd), Code: ee.ExitCode(), Stderr: stderr.String()}
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(gitArgs(cmd), " "), err)
	}
	return strings.TrimSuffix(stdout.String(), "\n"), nil
}

// gitArgs are a command's arguments without the -c options every command
// carries, for error messages.
func gitArgs(cmd *exec.Cmd) []string {
	args := cmd.Args[1:]
	for len(args) >= 2 && args[0] == "-c" {
		args = args[2:]
	}
	return args
}

// exitCode reports the exit status of a failed git command, or -1.
func exitCode(err error) int {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.Code
	}
	return -1
}

// runGitBytes runs a built command and returns its standard output as is
// (archives, file contents).
func runGitBytes(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, &gitError{Args: gitArgs(cmd), Code: ee.ExitCode(), Stderr: stderr.String()}
		}
		return nil, fmt.Errorf("git %s: %w", strings.Join(gitArgs(cmd), " "), err)
	}
	return stdout.Bytes(), nil
}
