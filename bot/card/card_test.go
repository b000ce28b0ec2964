package card

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

var testPolicy = &flow.Policy{
	Projects: []flow.Project{{Name: "platform", Repo: "acme/infra"}},
	Environments: []flow.Environment{
		{Name: "dev", Requesters: []string{"*"}, Approvers: []string{"*"}, AllowSelfApproval: true},
		{Name: "prod", Requesters: []string{"UALICE", "UBOB"}, Approvers: []string{"UBOB"}, ApprovalsRequired: 1},
	},
}

func actions(bs []Button) []Action {
	var out []Action
	for _, b := range bs {
		out = append(out, b.Action)
	}
	return out
}

func TestButtons(t *testing.T) {
	alice := flow.Actor{ID: "UALICE"}
	bob := flow.Actor{ID: "UBOB"}
	carol := flow.Actor{ID: "UCAROL"}
	base := func(s flow.State) *flow.Request {
		return &flow.Request{ID: "r1", Kind: flow.KindCreate, Environment: "prod", Module: "s3-bucket",
			Requester: alice, State: s, Change: &flow.Change{Branch: "tfpilot/r1"}, PlanRun: &flow.Run{ID: 7}}
	}
	dev := base(flow.Confirming)
	dev.Environment = "dev"
	approved := base(flow.Approved)
	approved.Approvals = []flow.Approval{{Actor: bob, PlanRunID: 7}}
	oldCommit := base(flow.Approved)
	oldCommit.Approvals = []flow.Approval{{Actor: bob, PlanRunID: 7, HeadSHA: "older"}}
	awaitingOld := base(flow.AwaitingApproval)
	awaitingOld.Approvals = []flow.Approval{{Actor: bob, PlanRunID: 7, HeadSHA: "older"}}
	failed := base(flow.PlanFailed)
	failed.FailedEffect = &flow.Effect{Kind: flow.EffDispatchPlan}
	tests := []struct {
		name   string
		r      *flow.Request
		viewer *flow.Actor
		want   []Action
	}{
		{"choosing", base(flow.ChoosingModule), nil, []Action{ActCancel}},
		{"collecting", base(flow.CollectingInputs), nil, []Action{ActEdit, ActCancel}},
		{"confirming", base(flow.Confirming), nil, []Action{ActSubmit, ActEdit, ActCancel}},
		{"planning", base(flow.Planning), nil, []Action{ActCancel}},
		{"awaiting shared", base(flow.AwaitingApproval), nil, []Action{ActApprove, ActEdit, ActReplan, ActReject, ActCancel}},
		{"awaiting requester prod", base(flow.AwaitingApproval), &alice, []Action{ActEdit, ActReplan, ActCancel}},
		{"awaiting approver", base(flow.AwaitingApproval), &bob, []Action{ActApprove, ActReplan, ActReject, ActCancel}},
		{"awaiting bystander", base(flow.AwaitingApproval), &carol, nil},
		{"approved", approved, nil, []Action{ActApply, ActEdit, ActReplan, ActReject, ActCancel}},
		// Approvals given at an older commit do not count: no Apply, and
		// the approver may approve the current commit (the card used to
		// count them and hide Approve from them).
		{"approved at an older commit", oldCommit, nil, []Action{ActEdit, ActReplan, ActReject, ActCancel}},
		{"awaiting, approved at an older commit", awaitingOld, &bob, []Action{ActApprove, ActReplan, ActReject, ActCancel}},
		{"applying", base(flow.Applying), nil, nil},
		{"applied", base(flow.Applied), nil, nil},
		{"applied, not merged", base(flow.AppliedNotMerged), nil, []Action{ActRetryMerge}},
		{"applied, not merged, bystander", base(flow.AppliedNotMerged), &carol, nil},
		{"stale", base(flow.Stale), nil, []Action{ActEdit, ActReplan, ActCancel}},
		{"plan failed with retry", failed, nil, []Action{ActRetry, ActEdit, ActReplan, ActCancel}},
		{"cancelled", base(flow.Cancelled), nil, nil},
		// dev's approvers are "*": that lets anyone approve, not cancel
		// another person's request.
		{"dev bystander cannot cancel", dev, &carol, nil},
		{"dev requester", dev, &alice, []Action{ActSubmit, ActEdit, ActCancel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := actions(Buttons(tt.r, flow.OutlookOf(tt.r, *testPolicy, tt.viewer)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Buttons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		more  int
		limit int
		want  string
	}{
		{"fits", []string{"a", "b"}, 0, 10, "a\nb"},
		{"more given", []string{"a"}, 3, 100, "a\n…and 3 more"},
		{"cut", []string{"aaaa", "bbbb", "cccc", "dddd"}, 0, 18, "aaaa\n…and 3 more"},
		{"long line clipped", []string{strings.Repeat("x", 30)}, 0, 10, "xxxxxxxxx…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.lines, tt.more, tt.limit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fit (-want +got):\n%s", diff)
			}
			if n := utf8.RuneCountInString(got); n > tt.limit {
				t.Errorf("Fit returned %d runes, limit %d", n, tt.limit)
			}
		})
	}
}

func FuzzFit(f *testing.F) {
	f.Add("a\nb\nc", 2, 5)
	f.Add(strings.Repeat("x\n", 600), 0, 3000)
	f.Fuzz(func(t *testing.T, text string, more, limit int) {
		if limit < 20 || limit > 5000 || more < 0 || more > 1e6 {
			return
		}
		got := Fit(strings.Split(text, "\n"), more, limit)
		if n := utf8.RuneCountInString(got); n > limit {
			t.Fatalf("Fit returned %d runes, limit %d", n, limit)
		}
	})
}

func TestChoiceValue(t *testing.T) {
	v := ChoiceValue("id1", "platform", "s3-bucket", "dev")
	id, p, m, e := ParseChoice(v)
	if diff := cmp.Diff([]string{"id1", "platform", "s3-bucket", "dev"}, []string{id, p, m, e}); diff != "" {
		t.Error(diff)
	}
	id, p, m, e = ParseChoice(Value("id2"))
	if diff := cmp.Diff([]string{"id2", "", "", ""}, []string{id, p, m, e}); diff != "" {
		t.Error(diff)
	}
}

func TestModuleChoiceEnvironments(t *testing.T) {
	r := &flow.Request{ID: "r1", Requester: flow.Actor{ID: "UCAROL"}, State: flow.ChoosingModule}
	c := ModuleChoice(r, Choice{Policy: testPolicy, Module: "s3-bucket"})
	var got []string
	for _, b := range c.Buttons() {
		got = append(got, string(b.Action)+":"+b.Value)
	}
	want := []string{"choose_env:r1|platform|s3-bucket|dev", "cancel:r1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env choice for a dev-only requester (-want +got):\n%s", diff)
	}
}

// TestWaitingLine: the approvals section names who may still approve, as
// flow's outlook says, and says so when nobody can.
func TestWaitingLine(t *testing.T) {
	r := &flow.Request{ID: "r1", Kind: flow.KindCreate, Environment: "prod", Module: "s3-bucket",
		Requester: flow.Actor{ID: "UALICE"}, State: flow.AwaitingApproval, Change: &flow.Change{Branch: "tfpilot/r1"}, PlanRun: &flow.Run{ID: 7}}
	lines := func(r *flow.Request) string {
		for _, s := range Status(r, Options{Policy: testPolicy}).Sections {
			if strings.HasPrefix(s.Title, "Approvals") {
				return strings.Join(s.Lines, "\n")
			}
		}
		return ""
	}
	if got := lines(r); !strings.Contains(got, "Can approve: UBOB") {
		t.Errorf("alice's prod request: approvals section %q, want UBOB named", got)
	}
	r.Requester = flow.Actor{ID: "UBOB"} // the only approver, and no self-approval in prod
	if got := lines(r); !strings.Contains(got, "Nobody can approve this plan now: check the approvers of prod") {
		t.Errorf("bob's prod request: approvals section %q, want the policy problem said", got)
	}
}

// TestChoiceWithoutCatalogue: a catalogue that could not be loaded is not
// an empty one.
func TestChoiceWithoutCatalogue(t *testing.T) {
	r := &flow.Request{ID: "r1", Kind: flow.KindCreate, Requester: flow.Actor{ID: "UALICE"}, State: flow.ChoosingModule}
	c := ModuleChoice(r, Choice{Policy: testPolicy})
	notes := strings.Join(c.Notes, "\n")
	if !strings.Contains(notes, "could not be loaded") || strings.Contains(notes, "has no modules") {
		t.Errorf("notes %q: want the catalogue said unloaded, not empty", notes)
	}
}

// TestHeldWithoutApprovals: a request that needed no approval and waits on
// another request's merge says why it has no Apply button.
func TestHeldWithoutApprovals(t *testing.T) {
	r := &flow.Request{ID: "r1", Kind: flow.KindCreate, Environment: "dev", Module: "s3-bucket",
		Requester: flow.Actor{ID: "UALICE"}, State: flow.Approved, Change: &flow.Change{Branch: "tfpilot/r1"}, PlanRun: &flow.Run{ID: 7}}
	o := flow.OutlookWith(r, *testPolicy, nil, flow.Facts{HeldBy: "0a1b2c3d4e5f"})
	c := Status(r, Options{Policy: testPolicy, Outlook: &o})
	if notes := strings.Join(c.Notes, "\n"); !strings.Contains(notes, "dev is held by 0a1b2c3d4e5f") {
		t.Errorf("notes %q: want the hold said", notes)
	}
	if slices.Contains(actions(c.Groups[0].Buttons), ActApply) {
		t.Error("Apply offered while held")
	}
}
