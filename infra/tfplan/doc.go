// Package tfplan summarises Terraform plans (`terraform show -json` output)
// into flow.PlanSummary values: counts per action, the changing addresses,
// drift and whether the plan errored. It decodes with hashicorp/terraform-json
// and does no I/O; the GitHub adapter, the local runner and `bot summarize`
// all use it so every surface reports a plan the same way.
package tfplan
