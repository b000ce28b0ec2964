package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// base is the time of the first fixture; fixtures are a minute apart.
var base = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// id returns the n-th fixture request ID: a UUID v7 shape, distinct per n,
// sorting like n.
func id(n int) string {
	return fmt.Sprintf("0195a3c0-0000-7000-8000-%012x", n)
}

// full returns a request with every field set, so a round trip that drops
// one shows up in the diff.
func full(n int) *flow.Request {
	at := base.Add(time.Duration(n) * time.Minute)
	owed := flow.Effect{ID: "3-show_card", Kind: flow.EffShowCard, Attempts: 2, LastErr: "slack: rate limited"}
	audit := &flow.AuditRecord{
		RequestID: id(n), Seq: 3, At: at, Actor: flow.Actor{ID: "U1", Name: "Ada"}, Event: "approve",
		From: flow.AwaitingApproval, To: flow.Approved, Project: "payments", Environment: "prod",
		Module: "s3-bucket", Inputs: map[string]string{"name": "logs", "token": flow.Redacted},
	}
	return &flow.Request{
		ID:          id(n),
		Kind:        flow.KindCreate,
		Project:     "payments",
		Environment: "prod",
		Module:      "s3-bucket",
		Label:       "s3_bucket_" + id(n)[24:],
		File:        "envs/prod/tfpilot_" + id(n)[24:] + ".tf",
		Inputs:      map[string]string{"name": "logs", "versioning": "true", "token": "s3cr3t"},
		Sensitive:   []string{"token"},
		Requester:   flow.Actor{ID: "U1", Name: "Ada", Groups: []string{"S1", "S2"}},
		Thread:      flow.Thread{Channel: "C1", TS: "1710408413.000100", URL: "https://example.slack.com/archives/C1/p1710408413000100"},
		State:       flow.Approved,
		Version:     7,
		Owed: []flow.Effect{owed, {ID: "3-record_audit", Kind: flow.EffRecordAudit, Audit: audit},
			{ID: "3-reply", Kind: flow.EffReply, Text: "approved by <@U2>"}},
		Seq:      3,
		Change:   &flow.Change{Branch: "tfpilot/" + id(n), Number: 42, URL: "https://github.com/acme/infra/pull/42", HeadSHA: "abc123", BaseSHA: "def456"},
		PlanRun:  &flow.Run{Workflow: flow.WorkflowPlan, ID: 9001, URL: "https://github.com/acme/infra/actions/runs/9001", HeadSHA: "abc123", Status: flow.RunSucceeded},
		ApplyRun: &flow.Run{Workflow: flow.WorkflowApply, ID: 9002, Status: flow.RunFailed, Failure: "job apply, step terraform apply: Error: AccessDenied"},
		Plan: &flow.PlanSummary{Create: 2, Update: 1, Replace: 1, Delete: 1, Read: 1, NoOp: 3,
			Resources: []flow.ResourceChange{{Address: "module.x.aws_s3_bucket.this", Action: "create"}},
			Drift:     []flow.ResourceChange{{Address: "aws_iam_role.r", Action: "update"}},
			TextURL:   "https://example.com/plan.txt"},
		Approvals: []flow.Approval{{Actor: flow.Actor{ID: "U2"}, PlanRunID: 9001, At: at.Add(time.Second)},
			{Actor: flow.Actor{ID: "U4", Groups: []string{"S3"}}, PlanRunID: 9001, At: at, HeadSHA: "abc123", Accepts: []string{"scope:aws_iam_role.r"}, CarriedFrom: 8999}},
		Carry: &flow.Carry{PlanRunID: 8999, BaseSHA: "cde345", Digest: "sha256:0123", Approvals: []flow.Approval{{Actor: flow.Actor{ID: "U4", Groups: []string{"S3"}}, PlanRunID: 8999, At: at}},
			ApplyBy: &flow.Actor{ID: "U5", Name: "Bo", Groups: []string{"S4"}}},
		Applier: &flow.Actor{ID: "U5", Name: "Bo", Groups: []string{"S4"}},
		History: []flow.Transition{{Seq: 1, At: at, Actor: "U1", Event: flow.EvStart, From: flow.ChoosingModule, To: flow.ChoosingModule, Note: "created"},
			{Seq: 2, At: at.Add(time.Second), Actor: "U2", Event: flow.EvApprove, From: flow.AwaitingApproval, To: flow.Approved}},
		Seen:         []string{"env-1", "action-2"},
		Problem:      "the plan run failed: see the run log",
		FailedEffect: &owed,
		MergeRefusal: "Required status check \"lint\" is expected.",
		Redispatches: 1,
		Queue:        &flow.QueuePlace{Ahead: 2, Workflow: flow.WorkflowApply, Foreign: true},
		Target:       id(800 + n),
		DestroyedBy:  id(900 + n),
		DestroyedAt:  at.Add(time.Hour),
		Lease:        flow.Lease{Owner: "replica-a", Until: at.Add(time.Minute)},
		CreatedAt:    at,
		UpdatedAt:    at.Add(2 * time.Second),
	}
}

// minimal returns a request with only what a new request has.
func minimal(n int) *flow.Request {
	at := base.Add(time.Duration(n) * time.Minute)
	return &flow.Request{ID: id(n), Kind: flow.KindCreate, Requester: flow.Actor{ID: "U1"},
		State: flow.ChoosingModule, Version: 1, CreatedAt: at, UpdatedAt: at}
}

// large returns a request of about a megabyte: a long history and many inputs.
func large(n int) *flow.Request {
	r := full(n)
	r.Inputs = make(map[string]string, 2000)
	for i := range 2000 {
		r.Inputs[fmt.Sprintf("input_%04d", i)] = strings.Repeat("v", 200) + fmt.Sprint(i)
	}
	for i := range 2000 {
		r.History = append(r.History, flow.Transition{Seq: int64(i + 3), At: base.Add(time.Duration(i) * time.Second),
			Actor: "U1", Event: flow.EvEffectDone, From: flow.Planning, To: flow.Planning, Note: "ünïcödé ✓ \"quoted\" <html>"})
	}
	return r
}

// clone copies a request deeply enough that the suite's edits of the copy
// never reach the original.
func clone(r *flow.Request) *flow.Request {
	c := *r
	c.Inputs = cloneMap(r.Inputs)
	c.History = append([]flow.Transition(nil), r.History...)
	c.Owed = append([]flow.Effect(nil), r.Owed...)
	c.Seen = append([]string(nil), r.Seen...)
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
