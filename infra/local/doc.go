// Package local holds TfPilot's embedded defaults, the adapters that let
// `bot local` run without Slack, GitHub or AWS: a file store for requests
// ([FileStore]), a file audit log ([FileAudit]), and (in their own files) a
// local git repository and a local runner. The file store keeps the run
// queues too. [Floor] makes transitions durable the way the store and the
// audit log do, with nothing else, to measure what a disk allows
// (BenchmarkEngineStep in flow).
//
// Everything here is durable on its own terms: a record is on disk (fsynced)
// before a call returns, and a crash mid-write never leaves a torn record.
// The package implements ports declared by flow and depends only on the
// standard library, flow's value types and registry (the flow.Catalogs
// port returns a *registry.Catalog, and the preview reads a module's
// resources with it; see docs/ARCHITECTURE.md#packages); it must not import
// the AWS SDK, go-github, slack-go or another infra package.
package local
