// Package tfcheck holds only tests: they guard the Terraform in this repository
// (modules/, envs/, deploy/terraform/) and the GitHub Actions workflows, because
// `terraform validate` cannot run where the AWS provider cannot be downloaded.
//
// The tests check every resource, data and provider block against the real AWS
// provider schema in testdata/, run `terraform fmt -check` and actionlint, and keep
// each module's README in step with its variables and outputs. They also run
// .github/scripts/check-apply.sh, apply.yml's check that only TfPilot's dispatch of
// TfPilot's plan applies, against a fake gh serving workflow runs, run
// `make pin-images` against a fake registry tool and check Dependabot's
// configuration. The package has no
// non-test code and must not gain any: nothing may import it.
package tfcheck
