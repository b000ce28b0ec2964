package flow_test

import (
	"fmt"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// BenchmarkOutlookOf50Approvers measures flow's answer for one thread card
// (no viewer: every candidate is dry-run through Step for every move) on
// a request awaiting approval in an environment naming 50 approvers.
func BenchmarkOutlookOf50Approvers(b *testing.B) {
	pol := flowtest.Policy()
	var approvers []string
	for i := range 50 {
		approvers = append(approvers, fmt.Sprintf("U%03d", i+100))
	}
	pol.Environments[0].Approvers = approvers
	r := flowtest.RequestIn(flow.AwaitingApproval)
	var o flow.Outlook
	for b.Loop() {
		o = flow.OutlookOf(&r, pol, nil)
	}
	if !o.Offers(flow.EvApprove) {
		b.Fatalf("outlook %+v offers no Approve, want one (50 approvers)", o)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/card")
}
