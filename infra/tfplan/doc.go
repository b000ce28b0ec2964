// Package tfplan summarises Terraform plans (`terraform show -json` output)
// into flow.PlanSummary values: counts per action, the changing addresses,
// drift and whether the plan errored. It decodes with hashicorp/terraform-json
// and does no I/O; cmd/bot injects Summarize into the GitHub adapter and
// the local runner (so infra packages do not import each other) and uses it
// for `bot summarize`, so every surface reports a plan the same way.
package tfplan
