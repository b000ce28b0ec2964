package flow

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// RecordMarker opens TfPilot's one comment on a request's pull request, so
// an adapter finds it again to update it in place (Repo.RecordOnChange).
const RecordMarker = "<!-- tfpilot:record -->"

// recordTopAddresses bounds the addresses the record lists.
const recordTopAddresses = 10

// RecordText is the pull request's record of r: what TfPilot shows in the
// thread, where reviewers look — the state, the plan summary (counts, top
// addresses, the findings outside the request), each approval (who, when,
// for which plan run and commit, what it accepted), the apply result and
// its run, the merge. It holds no input value: sensitive ones never reach
// it, the others are in the pull request's description.
func RecordText(r *Request) string {
	var b strings.Builder
	b.WriteString(RecordMarker + "\n")
	fmt.Fprintf(&b, "### TfPilot: %s in %s\n\n", code(r.Label), code(r.Environment))
	fmt.Fprintf(&b, "**State:** %s", stateText(r.State))
	if r.Problem != "" {
		fmt.Fprintf(&b, ". %s", code(r.Problem))
	}
	b.WriteString("\n\n")
	if r.Plan != nil && r.PlanRun != nil {
		fmt.Fprintf(&b, "**Plan:** %s at `%s`: %s\n", runLink(r.PlanRun), short(r.PlanRun.HeadSHA), orDefault(r.Plan.Counts(), "no changes"))
		n := 0
		for _, rc := range r.Plan.Resources {
			if rc.Action == "no-op" || rc.Action == "read" {
				continue
			}
			if n == recordTopAddresses {
				fmt.Fprintf(&b, "- … and more (see the plan run)\n")
				break
			}
			fmt.Fprintf(&b, "- %s %s\n", rc.Action, code(rc.Address))
			n++
		}
		for _, f := range ScopeFindings(r) {
			fmt.Fprintf(&b, "\n**Outside this request (%s):** %s\n", f.Kind, oneLine(f.Text))
			for _, a := range f.Addresses {
				fmt.Fprintf(&b, "- %s\n", code(a))
			}
		}
		b.WriteString("\n")
	}
	if len(r.Approvals) > 0 {
		b.WriteString("**Approvals:**\n")
		for _, a := range r.Approvals {
			fmt.Fprintf(&b, "- %s (%s) at %s UTC, plan run %d at %s", code(displayName(a.Actor)), code(a.Actor.ID),
				a.At.UTC().Format("2006-01-02 15:04"), a.PlanRunID, code(short(a.HeadSHA)))
			if a.CarriedFrom != 0 {
				fmt.Fprintf(&b, ", carried over from plan run %d (only other requests' files moved the base, and the plan changes this request's module exactly as that one did)", a.CarriedFrom)
			}
			if len(a.Accepts) > 0 {
				accepts := make([]string, len(a.Accepts))
				for i, f := range a.Accepts {
					accepts[i] = code(f)
				}
				fmt.Fprintf(&b, ", acknowledging %s", strings.Join(accepts, ", "))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if r.ApplyRun != nil {
		fmt.Fprintf(&b, "**Apply:** %s %s\n\n", runLink(r.ApplyRun), r.ApplyRun.Status)
	}
	if r.Change != nil && r.Change.Merged && (r.State == Applied) {
		b.WriteString("**Merged** by TfPilot after the apply.\n\n")
	}
	if r.Thread.URL != "" {
		fmt.Fprintf(&b, "Thread: %s\n", r.Thread.URL)
	}
	return b.String()
}

func runLink(run *Run) string {
	if run.URL != "" {
		return fmt.Sprintf("[%s run %d](%s)", run.Workflow, run.ID, run.URL)
	}
	return fmt.Sprintf("%s run %d", run.Workflow, run.ID)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return orDefault(sha, "?")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// code renders s as one inline code span, where GitHub shows markup as
// typed: what others control (addresses from the plan, display names from
// Slack, errors) must not render links, images or HTML, nor @mention and
// so notify anyone. Control characters go and whitespace folds to one line,
// since a newline would let a line start outside the span; the fence is
// longer than any run of backticks in s, so none of them closes it.
func code(s string) string {
	s = oneLine(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
	longest, run := 0, 0
	for _, c := range s {
		if c != '`' {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || s == "" {
		// A space on each side: CommonMark strips one, so a backtick at
		// either end is not taken for part of the fence.
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// records remembers the record last written for each request, so a card
// shown again with nothing new for reviewers costs no call. It is only a
// cache: after a restart the record is written once more, in place. It
// also remembers the requests whose record the repository refused for good
// (see Engine.record), so they cost no call after the first.
type records struct {
	mu      sync.Mutex
	last    map[string][32]byte
	refusal map[string]bool
}

func (c *records) refused(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refusal[id]
}

func (c *records) refuse(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal == nil {
		c.refusal = map[string]bool{}
	}
	c.refusal[id] = true
}

func (c *records) unchanged(id, body string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[id] == sha256.Sum256([]byte(body))
}

func (c *records) wrote(id, body string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string][32]byte{}
	}
	c.last[id] = sha256.Sum256([]byte(body))
}
