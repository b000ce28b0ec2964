package bot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func sample(state flow.State) *flow.Request {
	r := &flow.Request{
		ID: "01900000-0000-7000-8000-0000000000ab", Kind: flow.KindCreate, Project: "demo", Environment: "prod",
		Module: "s3-bucket", Label: "0000000000ab", Inputs: map[string]string{"name": "invoices", "kms_key_arn": "arn:x"},
		Sensitive: []string{"kms_key_arn"}, Requester: flow.Actor{ID: "U1", Name: "alice"},
		Thread: flow.Thread{Channel: "C1", TS: "1700000000.000100", URL: "https://fake.slack.com/archives/C1/p1700000000000100"},
		State:  state, CreatedAt: t0,
	}
	if state >= flow.Planning && state != flow.Cancelled {
		r.Change = &flow.Change{Branch: "tfpilot/" + r.ID, Number: 42, URL: "https://github.com/acme/infra/pull/42", HeadSHA: "abc"}
		r.PlanRun = &flow.Run{Workflow: flow.WorkflowPlan, ID: 7, URL: "https://github.com/acme/infra/actions/runs/7", Status: flow.RunInProgress}
	}
	if state >= flow.AwaitingApproval && state != flow.Cancelled && state != flow.PlanFailed {
		r.PlanRun.Status = flow.RunSucceeded
		r.Plan = &flow.PlanSummary{Create: 3, Update: 1, Resources: []flow.ResourceChange{
			{Address: "module.tfpilot_0000000000ab.aws_s3_bucket.this", Action: "create"},
			{Address: "module.tfpilot_0000000000ab.aws_s3_bucket_versioning.this", Action: "create"},
			{Address: "module.tfpilot_0000000000ab.aws_s3_bucket_policy.this", Action: "create"},
			{Address: "aws_s3_bucket.shared", Action: "update"}},
			Drift: []flow.ResourceChange{{Address: "aws_s3_bucket.shared", Action: "update"}}}
	}
	if state == flow.Approved || state == flow.Applying || state == flow.Applied {
		r.Approvals = []flow.Approval{{Actor: flow.Actor{ID: "U2", Name: "bob"}, PlanRunID: 7, At: t0}}
	}
	if state == flow.Applied {
		r.ApplyRun = &flow.Run{Workflow: flow.WorkflowApply, ID: 8, URL: "https://github.com/acme/infra/actions/runs/8", Status: flow.RunSucceeded}
	}
	if state == flow.PlanFailed {
		r.PlanRun.Status, r.PlanRun.Failure = flow.RunFailed, "job plan, step terraform plan: Error: invalid bucket name <x> & co"
		r.Problem = "The plan failed."
		r.FailedEffect = &flow.Effect{Kind: flow.EffDispatchPlan}
	}
	return r
}

func twoProjects() *flow.Policy {
	p := e2ePolicy()
	p.Projects = append(p.Projects, flow.Project{Name: "data", Repo: "acme/data"})
	return &p
}

// goldenCards are every card the bot renders, by golden file name.
func goldenCards(t testing.TB) map[string]any {
	cat := catalogue(t)
	pol := e2ePolicy()
	choosing := sample(flow.ChoosingModule)
	choosing.Project, choosing.Module, choosing.Environment, choosing.Inputs = "", "", "", nil
	m, _ := cat.Module("s3-bucket")
	confirm := sample(flow.Confirming)
	preview, err := registry.Render(m, registry.RenderSpec{RequestID: confirm.ID, Project: "demo", Environment: "prod",
		Requester: "U1", CreatedAt: t0, Values: map[string]string{"name": "invoices"}})
	if err != nil {
		t.Fatal(err)
	}
	derived, _ := m.DerivedNames("demo", "prod", map[string]string{"name": "invoices"})
	preview2 := sample(flow.AwaitingApproval)
	preview2.Plan.Preview = true
	out := map[string]any{
		"choice_project": Render(card.ModuleChoice(choosing, card.Choice{Policy: twoProjects()})),
		"choice_module":  Render(card.ModuleChoice(choosing, card.Choice{Policy: &pol, Catalog: cat})),
		"choice_env":     Render(card.ModuleChoice(choosing, card.Choice{Policy: &pol, Catalog: cat, Project: "demo", Module: "s3-bucket"})),
		"confirm":        Render(card.ForRequest(confirm, card.Options{Policy: &pol, Preview: &preview, Derived: derived})),
		"status_preview": Render(card.ForRequest(preview2, card.Options{Policy: &pol})),
		"list":           Render(card.List("Your open requests", []*flow.Request{sample(flow.Planning), sample(flow.Approved)})),
		"help":           Render(card.Help()),
		"usage":          ackMessage(card.Usage(`unknown command "frobnicate"`)),
		"modules":        Render(card.Modules("demo", cat)),
		"modal_s3":       formModal(card.ForModule(m, confirm), inputMeta{confirm.ID, "demo", "s3-bucket", "prod"}),
		"home":           homeView([]*flow.Request{sample(flow.Planning)}, []*flow.Request{sample(flow.AwaitingApproval)}),
	}
	for _, st := range []flow.State{flow.CollectingInputs, flow.Planning, flow.AwaitingApproval, flow.Approved,
		flow.Applied, flow.PlanFailed, flow.Stale, flow.Cancelled} {
		out["status_"+st.String()] = Render(card.ForRequest(sample(st), card.Options{Policy: &pol}))
	}
	return out
}

func TestGolden(t *testing.T) {
	for name, v := range goldenCards(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs from %s; run go test ./bot -run TestGolden -update and review the diff", name, path)
			}
		})
	}
}

// TestLimits feeds oversized requests through every card and checks each
// rendered message, modal and ack against Slack's limits.
func TestLimits(t *testing.T) {
	big := sample(flow.AwaitingApproval)
	big.Inputs = map[string]string{}
	for i := range 40 {
		big.Inputs[fmt.Sprintf("input_%02d", i)] = strings.Repeat("é<&>", 750) // 3,000 chars, escapes grow
	}
	big.Plan.Resources = nil
	for i := range 500 {
		big.Plan.Resources = append(big.Plan.Resources, flow.ResourceChange{Address: fmt.Sprintf("module.m.aws_s3_bucket.b[%d]%s", i, strings.Repeat("x", 300)), Action: "create"})
	}
	big.Plan.Drift = big.Plan.Resources
	big.Problem = strings.Repeat("p", 5000)
	big.PlanRun.Failure = strings.Repeat("f<", 5000)
	for i := range 60 {
		big.Approvals = append(big.Approvals, flow.Approval{Actor: flow.Actor{ID: fmt.Sprintf("U%d", i), Name: strings.Repeat("n", 200)}, PlanRunID: 7, At: t0})
	}
	big.Module = strings.Repeat("m", 300)
	pol := e2ePolicy()
	hcl := strings.Repeat("  name = \""+strings.Repeat("v", 3000)+"\"\n", 20)
	bigCat := &registry.Catalog{}
	var inputs []*registry.Input
	for i := range 150 {
		inputs = append(inputs, &registry.Input{Name: fmt.Sprintf("i%03d", i), Description: strings.Repeat("d", 3000),
			Options: []string{strings.Repeat("o", 400), "b"}})
	}
	for i := range 120 {
		bigCat.Modules = append(bigCat.Modules, &registry.Module{Name: fmt.Sprintf("mod-%03d", i), Description: strings.Repeat("desc ", 1000), Inputs: inputs})
	}
	bigCat.Modules[0].Name = strings.Repeat("long-module-name-", 20) // button text
	form := card.ForModule(bigCat.Modules[0], big)
	form.Title = strings.Repeat("T", 100)
	var reqs []*flow.Request
	for range 300 {
		reqs = append(reqs, big)
	}
	messages := map[string]Message{
		"status": Render(card.ForRequest(big, card.Options{Policy: &pol})),
		"confirm": Render(card.Confirm(big, registry.File{Path: "envs/prod/x.tf", Content: []byte(hcl)},
			[]registry.DerivedName{{Resource: strings.Repeat("r", 500), Name: strings.Repeat("n", 3000)}})),
		"choice":  Render(card.ModuleChoice(sample(flow.ChoosingModule), card.Choice{Policy: &pol, Catalog: bigCat})),
		"list":    Render(card.List("x", reqs)),
		"modules": Render(card.Modules("demo", bigCat)),
		"usage":   Render(card.Usage(strings.Repeat("u", 5000))),
	}
	for name, m := range messages {
		checkLimits(t, name, m.Blocks, MaxMessageBlocks)
		if n := utf8.RuneCountInString(m.Text); n > MaxMessageText {
			t.Errorf("%s: text %d chars", name, n)
		}
	}
	modal := formModal(form, inputMeta{"id", "p", "m", "e"})
	checkLimits(t, "modal", modal.Blocks.BlockSet, MaxViewBlocks)
	if n := utf8.RuneCountInString(modal.Title.Text); n > MaxModalTitle {
		t.Errorf("modal title %d chars", n)
	}
	home := homeView(reqs, reqs)
	checkLimits(t, "home", home.Blocks.BlockSet, MaxViewBlocks)
	ack, _ := json.Marshal(ackMessage(card.Usage(strings.Repeat("u<", 20000))))
	if len(ack) >= MaxAckBytes {
		t.Errorf("usage ack is %d bytes", len(ack))
	}
}

// checkLimits walks rendered blocks as JSON, as Slack would see them.
func checkLimits(t *testing.T, name string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%s: %d blocks, limit %d", name, len(blocks), maxBlocks)
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var bs []map[string]any
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	textLen := func(v any) int {
		m, _ := v.(map[string]any)
		s, _ := m["text"].(string)
		return utf8.RuneCountInString(s)
	}
	check := func(what string, n, limit int) {
		if n > limit {
			t.Errorf("%s: %s is %d, limit %d", name, what, n, limit)
		}
	}
	var element func(el map[string]any)
	element = func(el map[string]any) {
		switch el["type"] {
		case "button":
			check("button text", textLen(el["text"]), MaxButtonText)
			v, _ := el["value"].(string)
			check("button value", len(v), MaxButtonValue)
		case "static_select", "checkboxes":
			opts, _ := el["options"].([]any)
			check("options", len(opts), MaxSelectOptions)
			for _, o := range opts {
				om, _ := o.(map[string]any)
				v, _ := om["value"].(string)
				check("option value", len(v), MaxOptionValue)
				check("option text", textLen(om["text"]), MaxOptionText)
			}
		case "plain_text_input":
			v, _ := el["initial_value"].(string)
			check("initial value", utf8.RuneCountInString(v), maxInputLength)
		}
	}
	for _, b := range bs {
		switch b["type"] {
		case "header":
			check("header", textLen(b["text"]), MaxHeaderText)
		case "section":
			check("section text", textLen(b["text"]), MaxSectionText)
			fs, _ := b["fields"].([]any)
			check("fields", len(fs), MaxFields)
			for _, f := range fs {
				check("field", textLen(f), MaxFieldText)
			}
			if acc, ok := b["accessory"].(map[string]any); ok {
				element(acc)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			check("actions elements", len(els), MaxActionElements)
			for _, e := range els {
				em, _ := e.(map[string]any)
				element(em)
			}
		case "context":
			els, _ := b["elements"].([]any)
			check("context elements", len(els), MaxContextElems)
			for _, e := range els {
				check("context text", textLen(e), MaxSectionText)
			}
		case "input":
			check("label", textLen(b["label"]), MaxFieldText)
			check("hint", textLen(b["hint"]), MaxFieldText)
			em, _ := b["element"].(map[string]any)
			element(em)
		}
	}
}
