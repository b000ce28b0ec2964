package flow_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// renderedRequestFile is what Render writes for another request of env:
// the file its merge puts on the base branch.
func renderedRequestFile(t *testing.T, env string) flow.FileChange {
	t.Helper()
	cat, err := registry.Load(flowtest.Modules())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Module("bucket")
	f, err := registry.Render(m, registry.RenderSpec{RequestID: "0190b3c4-5d6e-7f80-9a1b-0123456789ab", Project: "demo", Environment: env,
		Requester: "someone", CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Values: map[string]string{"name": "other-1", "secret": flowtest.SecretARN}})
	if err != nil {
		t.Fatal(err)
	}
	return flow.FileChange{Path: f.Path, Content: f.Content}
}

// withText is f with text added at its end.
func withText(f flow.FileChange, text string) flow.FileChange {
	f.Content = append(append([]byte(nil), f.Content...), text...)
	return f
}

// TestEngineCarryChecksRequestFiles: an approval carries over a base moved
// by another request's file only when that file, before and after, holds
// what TfPilot writes. One merged by hand under a request file's name that
// holds a provider block — added, or removed since the approved plan — is
// as much a change under the request as hand-written Terraform: the
// approval does not carry, and the reply names the file and what it holds.
func TestEngineCarryChecksRequestFiles(t *testing.T) {
	provider := "\nprovider \"aws\" {\n  region = \"us-east-1\"\n}\n"
	for _, tc := range []struct {
		name    string
		before  []flow.FileChange // on the base before B is planned
		move    func(t *testing.T) []flow.FileChange
		fail    int // FileAt calls that fail (-1: all)
		carries bool
		says    string
		reads   int // FileAt calls answered
	}{
		{name: "another request's file", move: func(t *testing.T) []flow.FileChange { return []flow.FileChange{renderedRequestFile(t, "dev")} },
			carries: true, says: "carries over", reads: 2},
		{name: "another request's file, read after a failure", fail: 1,
			move:    func(t *testing.T) []flow.FileChange { return []flow.FileChange{renderedRequestFile(t, "dev")} },
			carries: true, says: "carries over", reads: 2},
		{name: "a provider block under a request file's name",
			move: func(t *testing.T) []flow.FileChange {
				return []flow.FileChange{withText(renderedRequestFile(t, "dev"), provider)}
			},
			says: "envs/dev/tfpilot_0123456789ab.tf is named like a request's file but is not one TfPilot writes: it holds a provider block", reads: 1},
		{name: "a terraform block removed since the approved plan",
			before: []flow.FileChange{{Path: "envs/dev/tfpilot_0123456789ab.tf", Content: []byte("terraform {\n  required_version = \">= 1.5\"\n}\n")}},
			move: func(t *testing.T) []flow.FileChange {
				return []flow.FileChange{{Path: "envs/dev/tfpilot_0123456789ab.tf", Delete: true}}
			},
			says: "envs/dev/tfpilot_0123456789ab.tf is named like a request's file but is not one TfPilot writes: it holds a terraform block", reads: 2},
		{name: "another environment's request file", carries: true, says: "carries over", reads: 2,
			move: func(t *testing.T) []flow.FileChange { return []flow.FileChange{renderedRequestFile(t, "prod")} }},
		// A symlink envs/dev/shared.tf -> ../prod/tfpilot_….tf, merged by
		// hand long before, has Terraform load prod's file in dev's root:
		// the path alone does not say which roots a file is part of.
		{name: "a provider block in another environment's request file",
			move: func(t *testing.T) []flow.FileChange {
				return []flow.FileChange{withText(renderedRequestFile(t, "prod"), provider)}
			},
			says: "envs/prod/tfpilot_0123456789ab.tf is named like a request's file but is not one TfPilot writes: it holds a provider block", reads: 1},
		// A file listed as changed is at one of the two commits; an
		// adapter that reads another path (a name escaped wrongly) finds
		// it at neither, and nothing is checked.
		{name: "a moved file at neither commit",
			move: func(t *testing.T) []flow.FileChange {
				return []flow.FileChange{{Path: "envs/dev/tfpilot_0123456789ab.tf", Delete: true}}
			},
			says: "could not be listed (envs/dev/tfpilot_0123456789ab.tf moved it but is at neither commit)", reads: 2},
		{name: "a request file moved from prod to dev", carries: true, says: "carries over", reads: 4,
			before: []flow.FileChange{renderedRequestFile(t, "prod")},
			move: func(t *testing.T) []flow.FileChange {
				return []flow.FileChange{{Path: "envs/prod/tfpilot_0123456789ab.tf", Delete: true}, renderedRequestFile(t, "dev")}
			}},
		{name: "the file cannot be read", fail: -1,
			move: func(t *testing.T) []flow.FileChange { return []flow.FileChange{renderedRequestFile(t, "dev")} },
			says: "what changed on the base branch could not be listed (something went wrong"},
		{name: "more request files than are read",
			move: func(t *testing.T) []flow.FileChange {
				var files []flow.FileChange
				for i := range 51 {
					f := renderedRequestFile(t, "dev")
					f.Path = fmt.Sprintf("envs/dev/tfpilot_%012x.tf", 0xbeef00+i)
					files = append(files, f)
				}
				return files
			},
			says: "could not be listed (51 request files moved it, more than the 50 TfPilot reads to check them)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			if len(tc.before) > 0 {
				ports.Repo.MoveBaseWith(tc.before...)
			}
			b := h.toAwaiting("dev")
			h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
			ports.Repo.MoveBaseWith(tc.move(t)...)
			if tc.fail != 0 {
				ports.Repo.Fail("FileAt", tc.fail, errors.New("contents: 502 bad gateway"))
			}
			h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
			h.settle()
			r := h.get(b)
			want, applies := flow.AwaitingApproval, 0
			if tc.carries {
				want, applies = flow.Applied, 1
			}
			if r.State != want || ports.Runs.Count(b, flow.WorkflowPlan) != 2 || ports.Runs.Count(b, flow.WorkflowApply) != applies || approvalsGiven(r) != 1 {
				t.Errorf("state %s (want %s), %d plan runs (want 2), %d applies (want %d), %d approvals given (want 1), problem %q",
					r.State, want, ports.Runs.Count(b, flow.WorkflowPlan), ports.Runs.Count(b, flow.WorkflowApply), applies, approvalsGiven(r), r.Problem)
			}
			if !replied(ports, b, tc.says) {
				t.Errorf("no reply says %q: %q", tc.says, ports.Chat.Replies(b))
			}
			if n := ports.Repo.Counts().FileReads; n != tc.reads {
				t.Errorf("%d files read, want %d", n, tc.reads)
			}
		})
	}
}
