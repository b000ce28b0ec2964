// Package flowtest provides in-memory fakes of every flow port (Store, Audit,
// Repo, Runs, Chat, Catalogs), with fault injection, plus a test catalogue,
// policy, clock and ID source. Every fake is safe for concurrent use and
// keeps counts the tests assert on ("exactly one branch, one PR, one plan
// run, one apply run").
//
// The fakes follow the port contracts documented in package flow,
// including idempotency: Repo.OpenChange is idempotent by branch, and
// Runs.Dispatch by (RequestID, Workflow, Dispatch.Key), so a re-plan (a new
// Key) gets a new run while a resumed dispatch (the same Key) does not.
package flowtest
