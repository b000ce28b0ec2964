package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"go.uber.org/zap/zaptest"

	"github.com/tfpilot/tfpilot/flow"
)

// groupServer is a usergroups.users.list endpoint whose members the test
// changes, counting the calls.
type groupServer struct {
	mu      sync.Mutex
	members map[string][]string
	calls   int
}

func (g *groupServer) set(id string, users ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members[id] = users
}

func (g *groupServer) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

func newGroupServer(t *testing.T) (*groupServer, *slack.Client) {
	g := &groupServer{members: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/usergroups.users.list" {
			t.Errorf("unexpected call %s", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_ = r.ParseForm()
		g.mu.Lock()
		g.calls++
		users := append([]string{}, g.members[r.Form.Get("usergroup")]...)
		g.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "users": users})
	}))
	t.Cleanup(srv.Close)
	return g, slack.New("xoxb-test", slack.OptionAPIURL(srv.URL+"/"))
}

// TestGroupCacheIsAtMostAMinute: whatever GroupTTL asks, memberships are
// read again after a minute.
func TestGroupCacheIsAtMostAMinute(t *testing.T) {
	srv, api := newGroupServer(t)
	ctx := context.Background()
	for _, ttl := range []time.Duration{0, 5 * time.Minute, time.Hour} {
		g := newGroups(api, ttl)
		now := time.Unix(1_700_000_000, 0)
		g.now = func() time.Time { return now }
		srv.set("S1")
		var got [][]string
		for _, step := range []time.Duration{0, 30 * time.Second, 31 * time.Second} {
			now = now.Add(step)
			gs, err := g.of(ctx, "U1", []string{"S1"})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, gs)
			srv.set("S1", "U1") // added after the first read
		}
		// 0 s: not a member; 30 s: cached; 61 s: read again.
		if diff := cmp.Diff([][]string{nil, nil, {"S1"}}, got); diff != "" {
			t.Errorf("GroupTTL %v: groups over time (-want +got):\n%s", ttl, diff)
		}
	}
}

// groupPolicyEngine is an Engine whose policy names group S1; only Policy
// is called.
type groupPolicyEngine struct{ Engine }

func (groupPolicyEngine) Policy() flow.Policy {
	return flow.Policy{Environments: []flow.Environment{{Name: "prod", Requesters: []string{"*"}, Approvers: []string{"S1"}}}}
}

// TestRefusalRereadsGroupsOnce: a person refused on cached memberships is
// decided once more on memberships read from Slack, and only when they
// changed.
func TestRefusalRereadsGroupsOnce(t *testing.T) {
	srv, api := newGroupServer(t)
	s := &Slack{eng: groupPolicyEngine{}, groups: newGroups(api, time.Minute), log: zaptest.NewLogger(t)}
	ctx := context.Background()
	var tries [][]string
	approve := func(a flow.Actor) error {
		tries = append(tries, a.Groups)
		if !slices.Contains(a.Groups, "S1") {
			return flow.Userf(flow.ErrDenied, "you are not an approver for prod")
		}
		return nil
	}

	// Not a member, and still not: one try, one refusal, one extra read.
	if err := s.asActor(ctx, flow.Actor{ID: "U1"}, approve); err == nil {
		t.Fatal("a non-member was let through")
	}
	if diff := cmp.Diff([][]string{nil}, tries); diff != "" {
		t.Errorf("tries (-want +got):\n%s", diff)
	}
	if got := srv.count(); got != 2 {
		t.Errorf("%d group reads, want 2 (the first and the re-read)", got)
	}

	// Added to the group within the cache's minute: the refusal re-reads.
	srv.set("S1", "U1")
	tries = nil
	if err := s.asActor(ctx, flow.Actor{ID: "U1"}, approve); err != nil {
		t.Fatalf("a new member was refused: %v", err)
	}
	if diff := cmp.Diff([][]string{nil, {"S1"}}, tries); diff != "" {
		t.Errorf("tries (-want +got):\n%s", diff)
	}
}
