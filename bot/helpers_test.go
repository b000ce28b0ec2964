package bot

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/internal/slackfake"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap/zaptest"
)

// e2ePolicy: one project; in prod U1 and U2 request, U1 and U2 approve,
// one approval, no self-approval; dev is open to everyone.
func e2ePolicy() flow.Policy {
	return flow.Policy{
		Projects: []flow.Project{{Name: "demo", Repo: "acme/infra", BaseBranch: "main"}},
		Environments: []flow.Environment{
			{Name: "dev", Requesters: []string{"*"}, Approvers: []string{"*"}, ApprovalsRequired: 0, AllowSelfApproval: true},
			{Name: "prod", Requesters: []string{"U1", "U2"}, Approvers: []string{"U1", "U2"}, ApprovalsRequired: 1},
		},
		NotifyChannel: "CNOTIFY",
	}
}

// harness is a fake Slack, the flow engine over flowtest fakes with the
// real module catalogue, and the bot between them.
type harness struct {
	t     *testing.T
	ctx   context.Context
	fake  *slackfake.Fake
	slack *Slack
	eng   *flow.Engine
	ports *flowtest.Ports
}

func catalogue(t testing.TB) *registry.Catalog {
	cat, err := registry.Load(os.DirFS("../modules"))
	if err != nil {
		t.Fatalf("load ../modules: %v", err)
	}
	if _, ok := cat.Module("s3-bucket"); !ok {
		t.Fatalf("../modules has no s3-bucket module (diagnostics: %v)", cat.Diagnostics)
	}
	return cat
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	fake := slackfake.New()
	ports := flowtest.NewPorts()
	opts := Options{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.APIURL(),
		Logger: zaptest.NewLogger(t), PostInterval: -1, Workers: 4}
	chat, err := NewChat(opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ports.Config("test")
	cfg.Chat = chat
	cfg.Catalogs = flowtest.NewCatalogs(catalogue(t))
	cfg.Policy = e2ePolicy()
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Engine, opts.Chat = eng, chat
	s, err := NewSlack(opts)
	if err != nil {
		t.Fatal(err)
	}
	engDone, slackDone := make(chan error, 1), make(chan error, 1)
	go func() { engDone <- eng.Run(ctx) }()
	go func() { slackDone <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-slackDone; err != nil {
			t.Errorf("Slack.Run: %v", err)
		}
		<-engDone
		fake.Close()
	})
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, ctx: ctx, fake: fake, slack: s, eng: eng, ports: ports}
}

// settle waits until the bot and the engine are both quiet.
func (h *harness) settle() {
	h.t.Helper()
	for quiet := 0; quiet < 3; {
		if !h.slack.idle() {
			quiet = 0
			time.Sleep(time.Millisecond)
			continue
		}
		if err := h.eng.Settle(h.ctx); err != nil {
			h.t.Fatal(err)
		}
		if h.slack.idle() {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(time.Millisecond)
	}
}

// foundButton is a button found in rendered blocks.
type foundButton = slackfake.Button

// buttons lists the buttons of Block Kit JSON (actions blocks and section
// accessories).
func buttons(t *testing.T, blocks json.RawMessage) []foundButton {
	t.Helper()
	out, err := slackfake.Buttons(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// find returns the foundButton whose action ID starts with action and whose
// text is text.
func find(t *testing.T, blocks json.RawMessage, action, text string) foundButton {
	t.Helper()
	var seen []string
	for _, b := range buttons(t, blocks) {
		if strings.HasPrefix(b.ActionID, action+":") && b.Text == text {
			return b
		}
		seen = append(seen, b.ActionID+"="+b.Text)
	}
	t.Fatalf("no %s foundButton %q; buttons: %v", action, text, seen)
	return foundButton{}
}

func waitABit() { time.Sleep(time.Millisecond) }
