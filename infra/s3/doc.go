// Package s3 keeps TfPilot's request records and audit log in an S3 bucket
// (or any S3-compatible server that supports conditional writes).
//
// [Store] implements flow.Store: one JSON object per request at
// <prefix>requests/<id>.json, created with If-None-Match: * and replaced
// with If-Match: <ETag>, so two replicas can never both advance a request;
// the loser gets flow.ErrConflict, re-reads and re-steps. The run queue of
// a project's environment is one object at
// <prefix>queues/<project>/<environment>.json, written the same way.
// [Audit] implements
// flow.Audit: one immutable object per record at
// <prefix>audit/<yyyy>/<mm>/<dd>/<request-id>/<seq>.json. Every object is
// encrypted at rest: SSE-KMS with the configured key, else SSE-S3.
//
// The package translates SDK errors into flow's sentinels (ErrNotFound,
// ErrExists, ErrConflict, ErrTransient); callers never see SDK types. It
// must not import other infra packages, and only cmd/bot wires it in.
package s3
