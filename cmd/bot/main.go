// Command bot is the TfPilot process: it reads configuration from the
// environment and flags, wires the packages together and runs a subcommand.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand of bot. run receives the arguments after the
// subcommand name and returns an error; errUsage (or a wrapped one) exits 2.
type command struct {
	summary string
	run     func(ctx context.Context, env *environ, args []string) error
}

// environ is what a subcommand may touch of the process: its streams, working
// directory and environment variables. Tests build one by hand.
type environ struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// awsConfig loads the AWS configuration (the default chain in main);
	// nil: none, so nothing reads AWS.
	awsConfig awsLoader
}

// errUsage marks a command-line mistake: bot prints the mistake and a pointer
// to the command's -h (not the whole usage, which would bury the mistake) and
// exits 2. Wrap it with the mistake: fmt.Errorf("%w: --x is required", errUsage).
var errUsage = errors.New("usage")

// exitError carries a specific exit status for a failure that has already been
// reported to the user (for example "one line per problem" from render).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func commands() map[string]command {
	cmds := map[string]command{
		"modules":   {"list the module catalogue", runModules},
		"render":    {"render a request into an environment root", runRender},
		"check":     {"check modules against TfPilot's conventions", runCheck},
		"summarize": {"summarise a Terraform plan (terraform show -json output)", runSummarize},
		"serve":     {"run the Slack bot (Socket Mode) against GitHub and the store", runServe},
		"local":     {"run TfPilot locally with a terminal chat", runLocal},
		"version":   {"print bot's version, VCS revision and Go version", runVersion},
	}
	// The repository guardrails of issue 14 (setup_repo.go, doctor.go).
	cmds["setup-repo"] = command{"create an environment repository's guardrails (administrator's token)", runSetupRepo}
	cmds["doctor"] = command{"check each project's repository against TfPilot's trust boundary", runDoctor}
	return cmds
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown; restoring the default
	// handling then lets a second signal end a drain that is stuck.
	go func() { <-ctx.Done(); stop() }()
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, awsConfig: loadAWSConfig}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one invocation of bot and returns its exit status.
func run(ctx context.Context, env *environ, args []string) int {
	cmds := commands()
	if len(args) == 0 && env.getenv("SLACK_APP_TOKEN") != "" {
		// `bot` with Slack tokens set is the service itself (the container's
		// default), configured entirely from the environment.
		args = []string{"serve"}
	}
	if len(args) == 0 {
		usage(env.stderr, cmds)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		usage(env.stdout, cmds)
		return 0
	case "-v", "--version":
		name = "version"
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(env.stderr, "bot: unknown command %q\n", name)
		usage(env.stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		if msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": "); msg != errUsage.Error() {
			fmt.Fprintf(env.stderr, "bot %s: %s\n", name, msg)
		}
		fmt.Fprintf(env.stderr, "run 'bot %s -h' for its usage\n", name)
		return 2
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(env.stderr, "bot %s: %v\n", name, err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: bot <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'bot <command> -h' for a command's flags")
}
