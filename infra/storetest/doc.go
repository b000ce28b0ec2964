// Package storetest is the conformance suite every flow.Store and flow.Audit
// implementation passes: [Run] for stores, [RunAudit] for audit logs. An
// adapter's tests call them with a constructor for fresh, empty storage:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (flow.Store, flow.Store) { ... })
//	}
//
// The suite checks behaviour through the port only (round trips, sentinels,
// conditional writes under contention, listing, and the GitHub polling
// ledger replicas share through the store: Reserve), so the same tests hold the
// file store and the S3 store to one contract. It must not know about any
// implementation.
package storetest
