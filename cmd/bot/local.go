package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/bot/console"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/local"
	"github.com/tfpilot/tfpilot/infra/tfplan"
	"github.com/tfpilot/tfpilot/policy"
)

// Interface guards: the local adapters are the engine's ports.
var (
	_ flow.Store    = (*local.FileStore)(nil)
	_ flow.Audit    = (*local.FileAudit)(nil)
	_ flow.Repo     = (*local.GitRepo)(nil)
	_ flow.Catalogs = (*local.GitRepo)(nil)
	_ flow.Runs     = (*local.Runner)(nil)
	_ flow.Chat     = (*console.Screen)(nil)
)

// localProject is the one project of local mode's default policy.
const localProject = "local"

// localConfig is everything `bot local` runs with, validated.
type localConfig struct {
	DataDir   string // requests, audit, runs, log; DATA/repo unless Repo
	Repo      string // environment repository; created on first run when RepoOwned
	RepoOwned bool   // Repo is DATA/repo, created from SourceRoot when missing
	Base      string // base branch
	Source    string // TfPilot repository root holding modules/ and envs/ (RepoOwned)
	User      string
	Terraform string // terraform binary; "" = preview plans
	Policy    string // --config or TFPILOT_CONFIG: the policy file bot serve uses; "" = localPolicy
}

// parseLocal reads the flags and environment of `bot local`.
func parseLocal(env *environ, args []string) (localConfig, bool, error) {
	fs := newFlagSet(env, "local", "[--data DIR] [--repo DIR] [--user NAME] [--config POLICY] [--plan preview|terraform] [--terraform PATH]")
	data := fs.String("data", "", "data folder for requests, audit log, runs, the log file and the environment repository (default: <user cache dir>/tfpilot)")
	repo := fs.String("repo", "", "an existing clone of an environment repository to use instead of DATA/repo")
	base := fs.String("base", "main", "base branch of the environment repository")
	user := fs.String("user", "", "who you are at the start (default: $USER, else \"you\"); /as NAME switches")
	plan := fs.String("plan", "", "preview: a static preview from the modules (default); terraform: real terraform init/plan/apply with state in DATA/state")
	tf := fs.String("terraform", "", "terraform binary (implies --plan=terraform)")
	pol := fs.String("config", env.getenv("TFPILOT_CONFIG"), "policy file, the same one bot serve reads (default $TFPILOT_CONFIG; none: anyone may request, dev needs no approval, prod one by someone else); its people are Slack IDs, so start with --user U… and switch with /as U…; every project uses the local repository")
	help, err := parseFlags(fs, args)
	if help || err != nil {
		return localConfig{}, help, err
	}
	cfg := localConfig{DataDir: *data, Repo: *repo, Base: *base, User: *user, Terraform: *tf, Policy: *pol}
	if cfg.DataDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return localConfig{}, false, fmt.Errorf("%w: no user cache folder (%v); pass --data DIR", errUsage, err)
		}
		cfg.DataDir = filepath.Join(cache, "tfpilot")
	}
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return localConfig{}, false, err
	}
	if cfg.User == "" {
		cfg.User = defaultUser(env)
	}
	switch *plan {
	case "", "preview":
		if *plan == "preview" && cfg.Terraform != "" {
			return localConfig{}, false, fmt.Errorf("%w: --terraform runs Terraform; drop --plan=preview or --terraform", errUsage)
		}
	case "terraform":
		if cfg.Terraform == "" {
			p, err := exec.LookPath("terraform")
			if err != nil {
				return localConfig{}, false, fmt.Errorf("%w: --plan=terraform needs terraform on PATH, or --terraform PATH", errUsage)
			}
			cfg.Terraform = p
		}
	default:
		return localConfig{}, false, fmt.Errorf("%w: --plan must be preview or terraform, not %q", errUsage, *plan)
	}
	if cfg.Repo == "" {
		cfg.Repo, cfg.RepoOwned = filepath.Join(cfg.DataDir, "repo"), true
		wd, err := os.Getwd()
		if err != nil {
			return localConfig{}, false, err
		}
		cfg.Source = findSourceRoot(wd)
	}
	return cfg, false, nil
}

// defaultUser is who a local session starts as: $USER, else the account's
// login name, else "you". Only names /as would accept are used.
func defaultUser(env *environ) string {
	for _, name := range []string{env.getenv("USER"), currentUsername()} {
		if name = strings.TrimSpace(name); name != "" && console.ValidUser(name) {
			return name
		}
	}
	return "you"
}

// currentUsername is the OS account's login name ("" when unknown); a
// Windows "DOMAIN\name" keeps the name.
func currentUsername() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	name := u.Username
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// findSourceRoot returns the nearest folder at or above dir holding both
// modules/ and envs/ (the TfPilot repository root, wherever in it `go run`
// was started), or dir itself.
func findSourceRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if isDir(filepath.Join(d, "modules")) && isDir(filepath.Join(d, "envs")) {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// localPolicy is local mode's default: one project (the local repository);
// dev is declared low-risk and lets anyone request and apply with no
// approval (self-approval on, said explicitly, as the default is off); prod
// needs one approval by someone other than the requester, so the four-eyes
// rule shows in the first session (/as bob).
func localPolicy(repo, base string) flow.Policy {
	return flow.Policy{
		Projects: []flow.Project{{Name: localProject, Repo: repo, BaseBranch: base}},
		Environments: []flow.Environment{
			{Name: "dev", Requesters: []string{"*"}, Approvers: []string{"*"}, ApprovalsRequired: 0, AllowSelfApproval: true, LowRisk: true},
			{Name: "prod", Requesters: []string{"*"}, Approvers: []string{"*"}, ApprovalsRequired: 1, AllowSelfApproval: false},
		},
	}
}

// loadPolicy is local mode's default policy, or the policy file checked as
// bot serve checks it (its environment names against the local
// repository's modules), its warnings printed and logged. Every project of
// the file is served by the one local repository.
func (cfg localConfig) loadPolicy(ctx context.Context, env *environ, repo *local.GitRepo, log *zap.Logger) (flow.Policy, error) {
	if cfg.Policy == "" {
		return localPolicy(repo.Dir(), cfg.Base), nil
	}
	f, err := policy.Read(cfg.Policy)
	if err != nil {
		return flow.Policy{}, err
	}
	unread, err := checkCatalogs(ctx, f, repo)
	if err != nil {
		return flow.Policy{}, err
	}
	for _, err := range unread {
		log.Warn("environment names not checked against the modules", zap.Error(err))
		fmt.Fprintf(env.stdout, "warning: environment names not checked against the modules: %v\n", err)
	}
	logPolicyWarnings(log, f.Policy)
	for _, w := range policy.Warnings(f.Policy) {
		fmt.Fprintln(env.stdout, "warning: "+w)
	}
	fmt.Fprintf(env.stdout, "Policy %s: every project (%s) uses the local repository.\n", cfg.Policy, strings.Join(projectNames(f.Policy), ", "))
	return f.Policy, nil
}

func projectNames(p flow.Policy) []string {
	out := make([]string, 0, len(p.Projects))
	for _, pr := range p.Projects {
		out = append(out, pr.Name)
	}
	return out
}

// runLocal is `bot local`: the whole flow on this machine with a terminal chat.
func runLocal(ctx context.Context, env *environ, args []string) error {
	cfg, help, err := parseLocal(env, args)
	if help || err != nil {
		return err
	}
	return cfg.run(ctx, env)
}

func (cfg localConfig) run(ctx context.Context, env *environ) (err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	zlog, err := newFileLogger(filepath.Join(cfg.DataDir, "tfpilot.log"))
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	defer func() { _ = zlog.Sync() }()
	zlog = zlog.Named("local")
	slog := newSlog(zlog)

	if cfg.RepoOwned {
		created, err := local.InitRepo(ctx, cfg.Repo, cfg.Source, cfg.Base)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(env.stdout, "Created the environment repository %s from %s (modules/, envs/).\n", cfg.Repo, cfg.Source)
		}
	}
	repo, err := local.NewGitRepo(cfg.Repo, cfg.Base)
	if err != nil {
		return err
	}
	pol, err := cfg.loadPolicy(ctx, env, repo, zlog)
	if err != nil {
		return err
	}
	store, err := local.NewFileStore(filepath.Join(cfg.DataDir, "store"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	if moved, err := migrateAudit(cfg.DataDir); err != nil {
		return err
	} else if moved {
		zlog.Info("moved the audit log from audit/audit/ to audit/", zap.String("data", cfg.DataDir))
	}
	// The audit log's root is the data folder: it keeps its records in
	// DATA/audit/ and its temporary files in DATA/tmp/.
	audit, err := local.NewFileAudit(cfg.DataDir)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, audit.Close()) }()
	runner, err := local.NewRunner(local.RunnerOptions{Repo: repo, Terraform: cfg.Terraform, Summarize: tfplan.Summarize, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}

	screen := console.NewScreen(console.Options{
		Out: env.stdout, Color: isTerminal(env.stdout), Interactive: isTerminal(env.stdin), User: cfg.User, Logger: slog,
	})
	eng, err := flow.New(flow.Config{
		Store: store, Audit: audit, Repo: repo, Runs: runner, Chat: screen, Catalogs: repo, Policy: pol,
		Logger: slog, NewID: newRequestID,
		// One process owns a data folder: a fixed owner lets a restart take
		// up the last run's leases at once instead of waiting for them.
		Owner:        "local",
		Retry:        flow.Backoff{Attempts: 3, Base: 200 * time.Millisecond, Max: 2 * time.Second},
		PollInterval: 200 * time.Millisecond,
		Workers:      4,
	})
	if err != nil {
		return err
	}
	cons := console.New(screen, eng)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()

	mode := "plans are static previews (nothing is applied to any cloud); --plan=terraform runs Terraform"
	if cfg.Terraform != "" {
		mode = "plans and applies run " + cfg.Terraform + " with state in " + filepath.Join(cfg.DataDir, "state")
	}
	fmt.Fprintf(env.stdout, "TfPilot local mode: repository %s (branch %s), data %s;\n%s.\nYou are %s. Type help, or /tfpilot new s3-bucket env=dev name=logs.\n",
		repo.Dir(), cfg.Base, cfg.DataDir, mode, cfg.User)
	zlog.Info("local mode started", zap.String("repo", repo.Dir()), zap.String("data", cfg.DataDir), zap.Bool("terraform", cfg.Terraform != ""))

	consoleErr := cons.Run(ctx, env.stdin)
	stop()
	runErr := <-done
	if errors.Is(runErr, context.Canceled) {
		runErr = nil
	}
	if runErr != nil {
		zlog.Error("engine stopped", zap.Error(runErr))
	}
	return errors.Join(consoleErr, runErr)
}

// newRequestID returns a UUID v7 (time-ordered, so records list in order).
func newRequestID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// isTerminal reports whether w (or r) is a character device: a person's
// terminal, as opposed to a pipe or a file.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
