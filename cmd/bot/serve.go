package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"

	"github.com/tfpilot/tfpilot/bot"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/github"
	"github.com/tfpilot/tfpilot/infra/local"
	"github.com/tfpilot/tfpilot/infra/s3"
	"github.com/tfpilot/tfpilot/infra/tfplan"
	"github.com/tfpilot/tfpilot/policy"
)

// Interface guards: the adapters wired here implement the ports flow and bot
// declare.
var (
	_ flow.Store    = (*local.FileStore)(nil)
	_ flow.Audit    = (*local.FileAudit)(nil)
	_ flow.Store    = (*s3.Store)(nil)
	_ flow.Audit    = (*s3.Audit)(nil)
	_ flow.Repo     = (*github.Client)(nil)
	_ flow.Runs     = (*github.Client)(nil)
	_ flow.Catalogs = (*github.Client)(nil)
	_ flow.Chat     = (*bot.Chat)(nil)
)

// Outbound HTTP timeouts. Without them a connection that stops answering
// would hold an effect (and so its request) until shutdown; a timed-out
// call fails and is retried like any other fault, and every effect is
// idempotent.
const (
	slackHTTPTimeout  = time.Minute
	githubHTTPTimeout = 2 * time.Minute // also bounds plan artifact downloads
)

// runServe runs TfPilot against Slack (Socket Mode), GitHub and the
// configured store until it is told to stop.
func runServe(ctx context.Context, env *environ, args []string) error {
	cfg, err := loadServeConfig(env.getenv, args, env.stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log, err := newJSONLogger(env.stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	log = log.With(zap.String("replica", cfg.Replica))
	p, set, err := gcPercent(env.getenv)
	if err != nil {
		return err
	}
	if set {
		debug.SetGCPercent(p)
		log.Debug("garbage collector", zap.Int("gogc", p))
	}
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("stopped", zap.Error(err))
		return err
	}
	log.Info("stopped")
	return nil
}

// gcPercent is the GOGC the service sets for itself: serveGCPercent, unless
// the environment names one (then the runtime has already applied it). The
// runtime quietly takes 100 for a GOGC it cannot read, so a mistyped one
// is an error here.
func gcPercent(getenv func(string) string) (int, bool, error) {
	switch v := getenv("GOGC"); {
	case v == "":
		return serveGCPercent, true, nil
	case v == "off":
		return 0, false, nil
	default:
		if _, err := strconv.Atoi(v); err != nil {
			return 0, false, fmt.Errorf("GOGC: %q is not a percentage (e.g. %d) or off", v, serveGCPercent)
		}
		return 0, false, nil
	}
}

func serve(ctx context.Context, cfg serveConfig, log *zap.Logger) error {
	pf, err := policy.Read(cfg.PolicyPath)
	if err != nil {
		return fmt.Errorf("TFPILOT_CONFIG: %w", err)
	}
	pol := pf.Policy
	logPolicyWarnings(log, pol)
	store, audit, closeStore, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("TFPILOT_STORE %s: %w", cfg.Store, err)
	}
	defer closeStore()

	// Replicas share the store, and through it the GitHub polling budget.
	ledger, _ := store.(github.PollLedger)
	gh, err := newGitHub(cfg, pol, ledger, log)
	if err != nil {
		return err
	}
	unread, err := checkCatalogs(ctx, pf, gh)
	if err != nil {
		return fmt.Errorf("TFPILOT_CONFIG: %w", err)
	}
	for _, err := range unread {
		log.Warn("environment names not checked against the modules", zap.Error(err))
	}
	metrics := newOpsMetrics(store)
	slackOpts := bot.Options{
		BotToken: cfg.SlackBotToken, AppToken: cfg.SlackAppToken, APIURL: cfg.SlackAPIURL,
		Logger: log, NotifyChannel: pol.NotifyChannel, HTTPClient: &http.Client{Timeout: slackHTTPTimeout},
		OnAck: func(typ string, d time.Duration) {
			metrics.slackAcks.WithLabelValues(typ).Inc()
			metrics.slackAckTime.Observe(d.Seconds())
		},
	}
	// Outbound (the engine's cards, replies, notifications) and inbound
	// (people's events into the engine) are separate values: the chat port
	// needs no engine, and the engine is built with it.
	chat, err := bot.NewChat(slackOpts)
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	eng, err := flow.New(flow.Config{
		Store: store, Audit: audit, Repo: gh, Runs: gh, Chat: chat, Catalogs: gh, Policy: pol,
		Logger: newSlog(log.Named("flow")), NewID: newRequestID, Owner: cfg.Replica,
		Observer: metrics.flowObserver(),
	})
	if err != nil {
		return err
	}
	slackOpts.Engine, slackOpts.Chat = eng, chat
	slackBot, err := bot.NewSlack(slackOpts)
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	metrics.watchGitHub(func() github.Stats { return gh.Stats() })

	var ready readiness
	ready.add("store", func(ctx context.Context) error {
		_, err := store.Get(ctx, "00000000-0000-0000-0000-000000000000")
		if err == nil || errors.Is(err, flow.ErrNotFound) {
			return nil
		}
		return err
	})
	ready.add("slack", func(context.Context) error { return slackBot.Ready() })

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveOps(gctx, cfg.Listen, opsHandler(metrics, &ready), log.Named("ops")) })
	g.Go(func() error { return ignoreCanceled(eng.Run(gctx)) })
	g.Go(func() error { return ignoreCanceled(slackBot.Run(gctx)) })
	log.Info("serving", zap.String("store", cfg.Store.String()), zap.Int("projects", len(pol.Projects)),
		zap.Int("environments", len(pol.Environments)), zap.String("listen", cfg.Listen))
	return g.Wait()
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// openStore opens the request store and audit log named by TFPILOT_STORE.
func openStore(ctx context.Context, cfg serveConfig) (flow.Store, flow.Audit, func(), error) {
	switch cfg.Store.Kind {
	case "s3":
		client, err := s3.NewClient(ctx, s3.Config{PathStyle: cfg.S3PathStyle})
		if err != nil {
			return nil, nil, nil, err
		}
		opt := s3.Options{Bucket: cfg.Store.Bucket, Prefix: cfg.Store.Prefix, KMSKeyID: cfg.KMSKeyID}
		return s3.New(client, opt), s3.NewAudit(client, opt), func() {}, nil
	default:
		store, err := local.NewFileStore(cfg.Store.Path)
		if err != nil {
			return nil, nil, nil, err
		}
		audit, err := local.NewFileAudit(cfg.Store.Path)
		if err != nil {
			_ = store.Close()
			return nil, nil, nil, err
		}
		return store, audit, func() { _ = store.Close(); _ = audit.Close() }, nil
	}
}

// Both stores keep the GitHub polling ledger the replicas share.
var (
	_ github.PollLedger = (*s3.Store)(nil)
	_ github.PollLedger = (*local.FileStore)(nil)
)

// newGitHub builds the GitHub adapter for the policy's projects; ledger
// (nil: none) shares its polling budget with the other replicas.
func newGitHub(cfg serveConfig, pol flow.Policy, ledger github.PollLedger, log *zap.Logger) (*github.Client, error) {
	projects := map[string]github.Repo{}
	for _, p := range pol.Projects {
		owner, name, _ := strings.Cut(p.Repo, "/")
		projects[p.Name] = github.Repo{Owner: owner, Name: name, BaseBranch: p.BaseBranch}
	}
	opt := github.Options{
		HTTPClient: &http.Client{Timeout: githubHTTPTimeout},
		BaseURL:    cfg.GitHubAPIURL, Token: cfg.GitHubToken, Projects: projects, Logger: log,
		Summarize: tfplan.Summarize, DispatchKeyInput: "dispatch_key", PollBudget: cfg.GitHubPollBudget,
		PollLedger: ledger,
	}
	if cfg.GitHubToken == "" {
		key, err := os.ReadFile(cfg.GitHubPrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("GITHUB_APP_PRIVATE_KEY_FILE: %w", err)
		}
		opt.App = &github.App{AppID: cfg.GitHubAppID, InstallationID: cfg.GitHubInstallationID, PrivateKeyPEM: key}
	}
	c, err := github.New(opt)
	if err != nil {
		return nil, fmt.Errorf("GitHub: %w", err)
	}
	return c, nil
}

// newJSONLogger logs JSON lines to w at level.
func newJSONLogger(w io.Writer, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("TFPILOT_LOG_LEVEL: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), lvl)
	return zap.New(core, zap.AddCaller()), nil
}
