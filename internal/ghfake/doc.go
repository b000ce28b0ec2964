// Package ghfake is an in-memory GitHub REST API for tests: an httptest
// server that keeps repository state (blobs, content-addressed trees,
// commits, refs, pull requests, workflow runs, jobs, logs and artifacts) and
// checks the method, path, headers and body of every call it serves, the way
// go-github's own tests do.
//
// Tests point a real client at Fake.URL and drive the world from the side:
// CompleteRun finishes a workflow run, CommitToBranch moves a base branch,
// Inject adds faults (latency, 5xx, 403/429 rate limits with headers, a
// dropped connection before or after the request was processed). Every
// request is counted per endpoint, so tests can assert call budgets.
//
// Runs follow GitHub's concurrency groups as plan.yml and apply.yml declare
// them (group tfpilot-<environment>, cancel-in-progress false): a run whose
// group holds a queued or running run waits as pending; with queue single a
// newer run cancels the pending one before it starts, with queue max (the
// default, SetQueue) up to 100 pending runs start in order and a run that
// finds the queue full is cancelled. A test cannot start or succeed a
// pending run, as GitHub never would.
//
// Each repository keeps a Terraform state per environment (terraform.go): a
// plan run plans its commit's envs/<environment> configuration against what
// successful applies left, so a module applied from a branch that is not
// merged shows as deleted in every other plan, and an apply of a plan made
// before the state last changed fails as Terraform's stale saved plan does.
//
// An endpoint the fake does not know answers 404 and fails the test with
// t.Errorf, so an adapter call without coverage is visible. ghfake must not
// import the adapter it tests; it speaks only HTTP and JSON.
package ghfake
