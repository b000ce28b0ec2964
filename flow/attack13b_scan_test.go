package flow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// scanRepo answers ClosedChanges per project from closed, counts the calls
// per project and fails for the projects in broken.
type scanRepo struct {
	*flowtest.Repo
	mu     sync.Mutex
	closed map[string][]flow.Change
	broken map[string]bool
	calls  map[string]int
}

func (s *scanRepo) ClosedChanges(ctx context.Context, project string) ([]flow.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[project]++
	if s.broken[project] {
		return nil, fmt.Errorf("list closed pull requests of %s: GitHub answered 502: %w", project, flow.ErrTransient)
	}
	return s.closed[project], nil
}

// TestScanClosedCost: 50 requests waiting for people across 5 projects
// cost one ClosedChanges call per project per scan, not one per request; a
// project whose repository fails does not stop the scan of the others; two
// replicas scanning at once act once on each pull request closed by hand.
func TestScanClosedCost(t *testing.T) {
	ports := flowtest.NewPorts()
	repo := &scanRepo{Repo: ports.Repo, closed: map[string][]flow.Change{}, broken: map[string]bool{"p2": true}, calls: map[string]int{}}
	setup := func(c *flow.Config) {
		c.Repo = repo
		for p := range 5 {
			c.Policy.Projects = append(c.Policy.Projects, flow.Project{Name: fmt.Sprintf("p%d", p), Repo: fmt.Sprintf("acme/infra%d", p), BaseBranch: "main"})
		}
	}
	states := []flow.State{flow.AwaitingApproval, flow.Approved, flow.Stale, flow.PlanFailed, flow.AwaitingApproval}
	var ids []string
	for i := range 50 {
		r := flowtest.RequestIn(states[i%len(states)])
		r.ID = fmt.Sprintf("01900000-0000-7000-8000-%012d", i+1)
		r.Project = fmt.Sprintf("p%d", i%5)
		r.Change = &flow.Change{Branch: "tfpilot/" + r.ID, Number: i + 1, HeadSHA: "h1", BaseSHA: "b1"}
		if err := ports.Store.Create(context.Background(), &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		if i%10 < 2 { // two per project: one closed, one merged by hand
			repo.closed[r.Project] = append(repo.closed[r.Project], flow.Change{Branch: r.Change.Branch, Number: r.Change.Number, Closed: true, Merged: i%10 == 1})
		}
	}
	var replicas []*flow.Engine
	for _, owner := range []string{"a", "b"} {
		cfg := ports.Config(owner)
		setup(&cfg)
		e, err := flow.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, e)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, e := range replicas {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.ScanClosed(context.Background()) }()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, flow.ErrTransient) || !strings.Contains(err.Error(), "p2") {
			t.Errorf("replica %d scan: %v, want p2's failure", i, err)
		}
	}
	want := map[string]int{"p0": 2, "p1": 2, "p2": 2, "p3": 2, "p4": 2}
	if fmt.Sprint(repo.calls) != fmt.Sprint(want) {
		t.Errorf("ClosedChanges calls %v, want %v (one per project per scan, two scans)", repo.calls, want)
	}
	for i, id := range ids {
		r, err := ports.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		closedLines := 0
		for _, h := range r.History {
			if strings.Contains(h.Note, "outside TfPilot") {
				closedLines++
			}
		}
		want, wantLines := states[i%len(states)], 0
		switch {
		case r.Project == "p2" || i%10 >= 2:
		case i%10 == 0:
			want, wantLines = flow.Cancelled, 1
		default:
			want, wantLines = flow.OpeningPR, 1
		}
		if r.State != want || closedLines != wantLines {
			t.Errorf("%s (%s, #%d): %s with %d closed-by-hand lines, want %s with %d", id, r.Project, i+1, r.State, closedLines, want, wantLines)
		}
	}
}
