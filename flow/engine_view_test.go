package flow_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// TestChatIsHandedEverything: the engine hands the chat port all a card
// needs in the call (flow.View), so no chat adapter calls back into the
// engine: the policy and flow's outlook always, the catalogue while a
// module is chosen, the rendered file and derived names while confirming;
// a notification names the policy's channel and an input form its module.
func TestChatIsHandedEverything(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	ctx := context.Background()
	r, err := h.eng.Open(ctx, flow.Event{Kind: flow.EvStart, Key: h.key(), Actor: actor("U1"), Thread: &flow.Thread{Channel: "C1"}})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	v := ports.Chat.LastView(r.ID)
	if v.Request == nil || v.Request.State != flow.ChoosingModule {
		t.Fatalf("view of the new request = %+v, want its card while choosing", v)
	}
	if v.Catalog == nil {
		t.Error("view while choosing has no catalogue, want demo's")
	} else if _, ok := v.Catalog.Module("bucket"); !ok {
		t.Errorf("view while choosing has catalogue %v, want demo's (with bucket)", v.Catalog)
	}
	if diff := cmp.Diff(flowtest.Policy(), v.Policy); diff != "" {
		t.Errorf("view's policy (-want +got):\n%s", diff)
	}

	h.handle(r.ID, flow.Event{Kind: flow.EvChooseModule, Actor: actor("U1"), Project: "demo", Module: "bucket", Environment: "dev", TriggerID: "T1"})
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}})
	h.settle()
	v = ports.Chat.LastView(r.ID)
	if v.Request.State != flow.Confirming {
		t.Fatalf("last view in state %s, want confirming", v.Request.State)
	}
	if v.Preview == nil || !strings.Contains(string(v.Preview.Content), `"logs-1"`) {
		t.Errorf("view while confirming has preview %+v, want the rendered file with the bucket's name", v.Preview)
	}
	want := []registry.DerivedName{{Resource: "aws_s3_bucket.this", Name: "logs-1"}}
	if diff := cmp.Diff(want, v.Derived); diff != "" {
		t.Errorf("derived names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(flow.OutlookOf(v.Request, flowtest.Policy(), nil), v.Outlook); diff != "" || !v.Outlook.Offers(flow.EvConfirm) {
		t.Errorf("view's outlook (-flow's +got):\n%s", diff)
	}
	if got := ports.Chat.Forms(r.ID); len(got) != 1 || got[0] != "T1" {
		t.Errorf("input forms opened = %v, want one, with trigger T1 (the fake refuses a form without its module)", got)
	}

	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	if got := ports.Chat.NotifyChannels(r.ID); len(got) == 0 || got[0] != "C0NOTIFY" {
		t.Errorf("notifications posted to %v, want the policy's C0NOTIFY", got)
	}
}
