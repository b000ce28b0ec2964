package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/internal/ghfake"
)

// matrixSize is the shape of TestFaultMatrix: CI runs the short form;
// TFPILOT_FAULTS=full (make faults) runs the full one.
type matrixSize struct {
	projects   int
	envs       []string
	perQueue   int // requests per (project, environment)
	killPoints int
	rounds     int // times each fault other than SIGKILL is injected
}

func faultMatrixSize() matrixSize {
	if os.Getenv("TFPILOT_FAULTS") == "full" {
		return matrixSize{projects: 2, envs: []string{"dev", "prod"}, perQueue: 5, killPoints: 20, rounds: 3}
	}
	return matrixSize{projects: 1, envs: []string{"dev"}, perQueue: 5, killPoints: 5, rounds: 1}
}

// faultTally counts what a fault did: how often it was injected and how
// often it hit a request of the bot.
type faultTally struct {
	mu   sync.Mutex
	hits map[string]int
	sets map[string]int
}

func (ft *faultTally) set(name string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.sets[name]++
}

func (ft *faultTally) hit(name string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.hits[name]++
}

// counted makes a ghfake fault count its hits under name.
func (ft *faultTally) counted(name string, fl ghfake.Fault) ghfake.Fault {
	before := fl.Before
	fl.Before = func() {
		ft.hit(name)
		if before != nil {
			before()
		}
	}
	ft.set(name)
	return fl
}

// TestFaultMatrix runs the real `bot serve` on versitygw while GitHub
// answers 5xx bursts and secondary rate limits (403 and 429 with
// Retry-After) and drops answers after performing writes, S3 answers 500s,
// Slack disconnects, and the bot is SIGKILLed (and restarted) at
// killPoints points: in the middle of each kind of GitHub write (the write
// lands, the answer is lost with the process) and at random moments.
// Every request must end applied and merged; a person may have had to act
// on a problem the card showed with its reason (counted), and nothing may
// be created twice on GitHub or in the audit log. docs/RELIABILITY.md
// ("Fault matrix (issue 13)") holds the outcome.
func TestFaultMatrix(t *testing.T) {
	size := faultMatrixSize()
	w := newWorld(t, worldOptions{projects: size.projects, envs: size.envs})
	var people []*person
	for pi := range size.projects {
		for _, env := range size.envs {
			for i := range size.perQueue {
				people = append(people, &person{w: w, project: fmt.Sprintf("p%d", pi), env: env,
					name: fmt.Sprintf("fm-%d-%s-%02d-x", pi, env, i)})
			}
		}
	}
	// The requests are opened before the faults begin: a slash command
	// lost with the process is typed again by its person, which makes a
	// second request by design.
	var wg sync.WaitGroup
	for _, p := range people {
		wg.Go(p.open)
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	tally := &faultTally{hits: map[string]int{}, sets: map[string]int{}}
	stop := make(chan struct{})
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		injectFaults(w, tally, size, stop)
	}()
	for _, p := range people {
		wg.Go(p.drive)
	}
	wg.Wait()
	close(stop)
	<-faultsDone

	byRepo := map[string][]*person{}
	acted := 0
	for _, p := range people {
		for _, e := range p.errs {
			t.Errorf("%s (%s): %s", p.name, p.id, e)
		}
		acted += p.retries
		if p.retries > 0 {
			t.Logf("%s: a person acted on %d problems shown with their reason: %q", p.name, p.retries, p.problems)
		}
		r, err := w.get(p.id)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		for _, e := range checkAudit(r, w.auditRecords(p.id)) {
			t.Errorf("%s: %s", p.name, e)
		}
		repo := "acme/infra-" + strings.TrimPrefix(p.project, "p")
		byRepo[repo] = append(byRepo[repo], p)
	}
	runs := 0
	for _, repo := range w.repos {
		for _, d := range w.gh.Duplicates(repo) {
			t.Errorf("%s: duplicate on GitHub: %s", repo, d)
		}
		spans := w.runner.Spans(repo)
		runs += len(spans)
		for _, o := range ghfake.Overlaps(spans, time.Now()) {
			t.Errorf("%s: run %d (%s of %s) dispatched while run %d (%s of %s) had not completed", repo,
				o[1].ID, o[1].Workflow, o[1].RequestID, o[0].ID, o[0].Workflow, o[0].RequestID)
		}
		applies := map[string]int{}
		for _, sp := range spans {
			if sp.Workflow == "apply" && sp.Conclusion == "success" {
				applies[sp.RequestID]++
			}
		}
		merged := map[string]int{}
		for _, pr := range w.gh.PullRequests(repo) {
			if pr.Merged {
				merged[pr.Head]++
			}
		}
		for _, p := range byRepo[repo] {
			if applies[p.id] != 1 || merged["tfpilot/"+p.id] != 1 {
				t.Errorf("%s: %d successful apply runs and %d merged pull requests, want 1 and 1", p.name, applies[p.id], merged["tfpilot/"+p.id])
			}
		}
		if t.Failed() {
			logSpans(t, spans)
		}
	}
	if k := w.killCount(); k < size.killPoints {
		t.Errorf("the bot was killed %d times, want %d", k, size.killPoints)
	}
	tally.mu.Lock()
	tally.hits["s3 500 burst"] = w.s3p.failures()
	names := make([]string, 0, len(tally.sets))
	for n := range tally.sets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("fault %-28s injected %3d, hit %3d", n, tally.sets[n], tally.hits[n])
		if tally.hits[n] == 0 {
			t.Errorf("fault %s never hit a request: the matrix did not test it", n)
		}
	}
	tally.mu.Unlock()
	t.Logf("%d requests applied through %d kills, %d S3 500s, %d runs; a person acted on %d problems",
		len(people), w.killCount(), w.s3p.failures(), runs, acted)
	if t.Failed() {
		t.Logf("bot log:\n%s", w.stderr())
	}
}

// injectFaults injects one fault at a time, every couple of seconds, in a
// fixed order, until every kill point was used and every other fault was
// injected size.rounds times; then it waits for stop.
func injectFaults(w *world, tally *faultTally, size matrixSize, stop <-chan struct{}) {
	// Kill points: the middle of each kind of GitHub write, then moments
	// picked by the clock.
	killAt := func(endpoint string) func() {
		return func() {
			w.gh.Inject(tally.counted("sigkill in "+endpoint, ghfake.Fault{Endpoint: endpoint, Before: func() {
				w.killAsync()
			}}))
		}
	}
	// The writes after a request is opened (its branch, tree, commit and
	// PR come before the faults): dispatches, merges, a change rebuilt on a
	// moved base, the branch deleted after the merge.
	writes := []string{ghfake.DispatchEndpoint, ghfake.MergeEndpoint, ghfake.UpdateRefEndpoint,
		ghfake.DeleteRefEndpoint, ghfake.CreateCommitEndpoint, ghfake.CreateTreeEndpoint}
	var kills []func()
	for i := 0; len(kills) < size.killPoints; i++ {
		if i < len(writes) {
			kills = append(kills, killAt(writes[i]))
			continue
		}
		kills = append(kills, func() { tally.set("sigkill at a moment"); tally.hit("sigkill at a moment"); w.kill() })
	}
	others := []func(){
		func() { w.gh.Inject(tally.counted("github 502 burst", ghfake.ServerErrorBurst("", 4))) },
		func() {
			w.gh.Inject(tally.counted("github secondary limit 403", ghfake.SecondaryRateLimit("", 1, 403, 1)))
		},
		func() {
			w.gh.Inject(tally.counted("github secondary limit 429", ghfake.SecondaryRateLimit("", 1, 429, 1)))
		},
		func() {
			w.gh.Inject(tally.counted("github dropped after write", ghfake.DroppedAfterWrite(ghfake.CreatePullEndpoint)))
		},
		func() {
			w.gh.Inject(tally.counted("github dropped after write", ghfake.DroppedAfterWrite(ghfake.DispatchEndpoint)))
		},
		func() {
			w.gh.Inject(tally.counted("github dropped after write", ghfake.DroppedAfterWrite(ghfake.MergeEndpoint)))
		},
		func() { tally.set("s3 500 burst"); w.s3p.failNext(6) },
		func() {
			tally.set("slack disconnect")
			if w.slack.Disconnect("refresh_requested") == nil {
				tally.hit("slack disconnect")
			}
		},
		func() { tally.set("slack connection cut"); tally.hit("slack connection cut"); w.slack.CloseConns() },
	}
	var plan []func()
	for r := 0; r < size.rounds || len(kills) > 0; r++ {
		for _, f := range others {
			if r < size.rounds {
				plan = append(plan, f)
			}
			if len(kills) > 0 && (r >= size.rounds || len(plan)%2 == 0) {
				plan, kills = append(plan, kills[0]), kills[1:]
			}
		}
	}
	for _, f := range plan {
		select {
		case <-stop:
			return
		case <-time.After(2 * time.Second):
		}
		f()
	}
	<-stop
}

// killAsync SIGKILLs the bot now and starts it again in the background:
// called from inside a GitHub request the bot made, which then lands with
// nobody to hear the answer.
func (w *world) killAsync() {
	if w.killNow() {
		go w.start()
	}
}
