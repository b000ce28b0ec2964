package command

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

func TestLastRef(t *testing.T) {
	tests := []struct {
		ref    string
		back   int
		wantOK bool
	}{
		{"last", 0, true},
		{"LAST", 0, true},
		{"last-1", 1, true},
		{"last-12", 12, true},
		{"last-", 0, false},
		{"last--1", 0, false},
		{"last-+1", 0, false},
		{"last- 1", 0, false},
		{"last-99999999999999999999", math.MaxInt, true}, // more than there are, not "no such ID"
		{"lastly", 0, false},
		{"0a1b2c3d4e5f", 0, false},
	}
	for _, tt := range tests {
		back, ok := LastRef(tt.ref)
		if back != tt.back || ok != tt.wantOK {
			t.Errorf("LastRef(%q) = %d, %v; want %d, %v", tt.ref, back, ok, tt.back, tt.wantOK)
		}
	}
}

// reader is a Reader over a fixed list of requests (oldest first).
type reader struct {
	pol flow.Policy
	rs  []*flow.Request
}

func (rd reader) Policy() flow.Policy { return rd.pol }

func (rd reader) Find(_ context.Context, ref string) (*flow.Request, error) {
	for _, r := range rd.rs {
		if r.ID == ref || registry.Label(r.ID) == ref || (len(ref) >= 6 && strings.HasPrefix(registry.Label(r.ID), ref)) {
			return r, nil
		}
	}
	return nil, flow.Userf(flow.ErrNotFound, "there is no request "+ref)
}

func (rd reader) List(_ context.Context, f flow.Filter) ([]*flow.Request, error) {
	var out []*flow.Request
	for _, r := range rd.rs {
		if f.Match(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (rd reader) Catalog(_ context.Context, project string) (*registry.Catalog, error) {
	return &registry.Catalog{Modules: []*registry.Module{{Name: "s3-bucket"}, {Name: "sqs-queue"}}}, nil
}

// TestInterpret: one interpreter for Slack and the terminal, from the
// parsed command to what the surface does.
func TestInterpret(t *testing.T) {
	alice, bob := flow.Actor{ID: "alice"}, flow.Actor{ID: "bob"}
	pol := flow.Policy{
		Projects: []flow.Project{{Name: "local"}},
		Environments: []flow.Environment{
			{Name: "dev", Requesters: []string{"*"}, Approvers: []string{"*"}},
			{Name: "prod", Requesters: []string{"alice"}, Approvers: []string{"bob"}, Modules: []string{"sqs-queue"}},
		},
	}
	old := &flow.Request{ID: "01900000-0000-7000-8000-00000000aaaa", Requester: alice, State: flow.Applied}
	mine := &flow.Request{ID: "01900000-0000-7000-8000-00000000bbbb", Requester: alice, State: flow.AwaitingApproval}
	theirs := &flow.Request{ID: "01900000-0000-7000-8000-00000000cccc", Requester: bob, State: flow.Planning}
	rd := reader{pol: pol, rs: []*flow.Request{old, mine, theirs}}
	twoProjects := rd
	twoProjects.pol.Projects = append(twoProjects.pol.Projects, flow.Project{Name: "other"})

	type want struct {
		Do       Do
		Kind     flow.EventKind
		Env      string
		Target   string
		Request  string
		Taken    string
		Title    string
		Requests int
		Err      string
	}
	tests := []struct {
		name  string
		rd    reader
		text  string
		actor flow.Actor
		want  want
	}{
		{"bare starts", rd, "", alice, want{Do: DoOpen, Kind: flow.EvStart}},
		{"new infers the only environment", rd, "new s3-bucket name=x", alice, want{Do: DoOpen, Kind: flow.EvStart, Env: "dev"}},
		{"new asks which of several", rd, "new sqs-queue", alice, want{Err: "which environment? add env=<environment>, one of dev, prod"}},
		{"new with a typo'd environment", rd, "new sqs-queue env=prd", alice, want{Err: `there is no environment "prd" (did you mean prod?)`}},
		{"new with a typo'd module", rd, "new s3bucket env=dev", alice, want{Err: `there is no module "s3bucket" in local (did you mean s3-bucket?)`}},
		{"new in an environment not allowed is the engine's to refuse", rd, "new s3-bucket env=prod", alice, want{Do: DoOpen, Kind: flow.EvStart, Env: "prod"}},
		{"approve by label", rd, "approve 00000000bbbb", bob, want{Do: DoHandle, Kind: flow.EvApprove, Request: mine.ID}},
		{"approve last", rd, "approve last", bob, want{Do: DoHandle, Kind: flow.EvApprove, Request: theirs.ID, Taken: "last is request 00000000cccc."}},
		{"reject last-1", rd, "reject last-1", bob, want{Do: DoHandle, Kind: flow.EvReject, Request: mine.ID, Taken: "last-1 is request 00000000bbbb."}},
		{"last beyond the requests", rd, "cancel last-3", bob, want{Err: `there are only 3 request(s), so "last-3" is none of them`}},
		{"last far beyond the requests", rd, "cancel last-99999999999999999999", bob, want{Err: `there are only 3 request(s), so "last-99999999999999999999" is none of them`}},
		{"a prefix says what it was taken as", rd, "status 0000000", alice, want{Do: DoStatus, Request: old.ID, Taken: "0000000 is request 00000000aaaa."}},
		{"destroy targets the full ID", rd, "destroy 00000000aaaa", alice, want{Do: DoOpen, Kind: flow.EvStartDestroy, Target: old.ID, Request: old.ID}},
		{"unknown request", rd, "apply 0123456789ab", alice, want{Err: "there is no request 0123456789ab"}},
		{"list mine is open only", rd, "list", alice, want{Do: DoList, Title: "Your open requests", Requests: 1}},
		{"list all is every request", rd, "list all", alice, want{Do: DoList, Title: "All requests", Requests: 3}},
		{"modules of the only project", rd, "modules", alice, want{Do: DoModules}},
		{"modules asks which project", twoProjects, "modules", alice, want{Err: "which project? /tfpilot modules <project>; the projects are local, other"}},
		{"modules of a typo'd project", rd, "modules locl", alice, want{Err: `project "locl" is not configured (did you mean local?); choose one of local`}},
		{"new in a typo'd project", twoProjects, "new s3-bucket project=othr env=dev", alice, want{Err: `project "othr" is not configured (did you mean other?); choose one of local, other`}},
		{"an unknown project is quoted back clipped", rd, "modules " + strings.Repeat("p", 5000), alice, want{Err: `project "` + strings.Repeat("p", 59) + `…" is not configured; choose one of local`}},
		{"help", rd, "help", alice, want{Do: DoHelp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			in, err := Interpret(context.Background(), tt.rd, c, tt.actor)
			var got want
			if err != nil {
				got.Err = err.Error()
				if !strings.Contains(got.Err, tt.want.Err) || tt.want.Err == "" {
					t.Fatalf("error %q, want %q", got.Err, tt.want.Err)
				}
				return
			}
			got = want{Do: in.Do, Kind: in.Event.Kind, Env: in.Event.Environment, Target: in.Event.Target,
				Taken: in.Taken, Title: in.Title, Requests: len(in.Requests)}
			if in.Request != nil {
				got.Request = in.Request.ID
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Interpret(%q) (-want +got):\n%s", tt.text, diff)
			}
			if in.Event.Kind != 0 && in.Event.Actor.ID != tt.actor.ID {
				t.Errorf("event actor = %q, want %q", in.Event.Actor.ID, tt.actor.ID)
			}
		})
	}
}
