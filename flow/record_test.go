package flow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineRecordsOnThePullRequest: the pull request carries one record
// of the request, updated in place as it moves — the plan (run, commit,
// counts, addresses), each approval (who, plan run, commit), the apply and
// the merge — with no input value in it; a card shown again with nothing
// new for reviewers writes nothing; a failing write is tried again.
func TestEngineRecordsOnThePullRequest(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	branch := "tfpilot/" + id
	r := h.get(id)
	rec := ports.Repo.Record(branch)
	for _, want := range []string{flow.RecordMarker, "**State:** awaiting approval",
		fmt.Sprintf("plan run %d", r.PlanRun.ID), "1 to create", "create `module.tfpilot_" + r.Label} {
		if !strings.Contains(rec, want) {
			t.Errorf("record after the plan lacks %q:\n%s", want, rec)
		}
	}
	ports.Repo.Fail("RecordOnChange", 1, fmt.Errorf("github is down: %w", flow.ErrTransient))
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	rec = ports.Repo.Record(branch)
	for _, want := range []string{"**State:** applied", "(`U3`)", fmt.Sprintf("plan run %d at `%s`", r.PlanRun.ID, r.PlanRun.HeadSHA[:12]),
		"**Apply:**", "succeeded", "**Merged**"} {
		if !strings.Contains(rec, want) {
			t.Errorf("final record lacks %q:\n%s", want, rec)
		}
	}
	for _, v := range h.get(id).Inputs {
		if strings.Contains(rec, v) {
			t.Errorf("record shows input value %q:\n%s", v, rec)
		}
	}
	// Cards redrawn with nothing new for reviewers write no record: no
	// record is written twice in a row (the failed write aside, which is
	// not kept).
	all := ports.Repo.Records(branch)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Errorf("record %d written again unchanged (%d records for %d cards):\n%s", i, len(all), ports.Chat.Cards(id), all[i])
		}
	}
}

// TestRecordRendersNoMarkupFromOthers: what others control (resource
// addresses from the plan, display names from Slack, accepted finding IDs,
// errors quoted in the problem) reaches the pull request only inside code
// spans, so GitHub renders no link, image, HTML or @mention from it and
// notifies nobody. Each hostile value must stay inside one code span of its
// line: a backtick or newline in it must not close the span.
func TestRecordRendersNoMarkupFromOthers(t *testing.T) {
	hostile := []string{
		"module.x.aws_s3_bucket.a[\"`@octocat` [x](https://evil.example)\"]",
		"module.x.null_resource.b[\"<img src=x onerror=alert(1)>\"]",
		"module.x.null_resource.c[\"``@team/reviewers``\"]",
		"module.x.null_resource.d[\"a\n# @octocat\n- [click](https://evil.example)\"]",
		"`",
		"module.x.null_resource.e[\"\x1b]8;;https://evil.example\x07@octocat\"]",
	}
	r := &flow.Request{ID: "req-1", Label: "lbl", Environment: "dev", State: flow.PlanFailed,
		Problem: "The plan failed: Error: `@octocat` <b>[x](https://evil.example)</b>\n\n@org/team. Edit the inputs or re-plan.",
		PlanRun: &flow.Run{Workflow: "plan", ID: 7, HeadSHA: "0123456789abcdef"},
		Plan:    &flow.PlanSummary{},
		Approvals: []flow.Approval{{Actor: flow.Actor{ID: "U1", Name: "`@octocat` [me](https://evil.example)"},
			PlanRunID: 7, Accepts: []string{"scope:create`@octocat`"}}},
	}
	for _, a := range hostile {
		r.Plan.Resources = append(r.Plan.Resources, flow.ResourceChange{Address: a, Action: "create"})
	}
	rec := flow.RecordText(r)
	if strings.ContainsAny(rec, "\x1b\x07") {
		t.Errorf("record holds control characters:\n%q", rec)
	}
	for i, line := range strings.Split(rec, "\n") {
		if bad := outsideCode(line); bad != "" {
			t.Errorf("line %d renders %q outside a code span:\n%s", i+1, bad, line)
		}
	}
}

// outsideCode returns the markup (an @mention, link, image or HTML tag)
// that line holds outside CommonMark code spans, or "".
func outsideCode(line string) string {
	var out strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			out.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		fence := strings.Repeat("`", n)
		end := -1
		for j := i + n; j < len(line); {
			k := strings.Index(line[j:], fence)
			if k < 0 {
				break
			}
			k += j
			m := 0
			for k+m < len(line) && line[k+m] == '`' {
				m++
			}
			if m == n {
				end = k
				break
			}
			j = k + m
		}
		if end < 0 { // an unmatched fence is literal text
			out.WriteString(fence)
			i += n
			continue
		}
		i = end + n
	}
	text := out.String()
	for _, bad := range []string{"@octocat", "@org", "@team", "](", "<img", "<b>", "https://"} {
		if strings.Contains(text, bad) {
			return bad
		}
	}
	return ""
}
