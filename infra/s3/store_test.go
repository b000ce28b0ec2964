package s3_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/infra/s3"
	"github.com/tfpilot/tfpilot/infra/storetest"
	"github.com/tfpilot/tfpilot/internal/s3test"
)

var (
	_ flow.Store = (*s3.Store)(nil)
	_ flow.Audit = (*s3.Audit)(nil)
)

// TestConformance runs the store and audit suites against a real S3 server
// (versitygw), one key prefix per test on one bucket.
func TestConformance(t *testing.T) {
	_, bucket, client := s3test.Start(t)
	var n atomic.Int64
	prefix := func() string { return fmt.Sprintf("t%d/", n.Add(1)) }
	t.Run("Store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (flow.Store, flow.Store) {
			opt := s3.Options{Bucket: bucket, Prefix: prefix()}
			return s3.New(client, opt), s3.New(client, opt)
		})
	})
	t.Run("StoreKMS", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (flow.Store, flow.Store) {
			opt := s3.Options{Bucket: bucket, Prefix: prefix(), KMSKeyID: "alias/tfpilot", ListConcurrency: 2}
			return s3.New(client, opt), s3.New(client, opt)
		})
	})
	t.Run("Audit", func(t *testing.T) {
		storetest.RunAudit(t, func(t *testing.T) storetest.AuditLog {
			return s3.NewAudit(client, s3.Options{Bucket: bucket, Prefix: prefix()})
		})
	})
}
