// Package github is TfPilot's GitHub adapter: it implements flow.Repo
// (branch, one commit and a pull request per request; squash merge),
// flow.Runs (workflow_dispatch of plan.yml and apply.yml, run status,
// failure details, plan artifacts) and flow.Catalogs (the module catalogue
// read from the environment repository's modules/) over the REST API with
// go-github v62.
//
// Every write is idempotent: the adapter finds what an earlier attempt made
// (branch, pull request, run) before creating, and a 422 "already exists"
// is success. Calls go through one transport that counts them (Stats),
// honours primary and secondary rate limits and retries faults with
// bounded, jittered backoff; writes to one repository are serialised.
// Polling is cheap and bounded: Status answers from the last list of the
// run's repository, and one budget for the whole installation
// (Options.PollBudget, shared by the replicas through Options.PollLedger
// and fairly between the repositories with runs in flight; none for idle
// ones) decides when a repository is listed again,
// conditionally, for all its runs at once.
//
// The package must not hold request state (flow does), must not summarise
// plans itself (Options.Summarize is injected by cmd/bot) and never returns
// go-github types or errors: failures map to flow sentinels,
// *RateLimitedError or ErrPermission.
package github
