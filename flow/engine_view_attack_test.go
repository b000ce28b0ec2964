package flow_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// TestEditOfModuleGoneFromCatalogueSaysSo: Edit inputs on a request whose
// module has since left the catalogue cannot open the form; the thread
// says why instead of nothing happening.
func TestEditOfModuleGoneFromCatalogueSaysSo(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Catalogs = flowtest.NewCatalogs(&registry.Catalog{}) // bucket was removed
	r := flowtest.RequestIn(flow.Confirming)
	r.Version = 1
	if err := ports.Store.Create(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, ports, "a")
	h.handle(r.ID, flow.Event{Kind: flow.EvEdit, Actor: actor("U1"), TriggerID: "T1"})
	h.settle()
	replies := ports.Chat.Replies(r.ID)
	if !slices.ContainsFunc(replies, func(s string) bool { return strings.Contains(s, `module "bucket" is not in the catalogue`) }) {
		t.Errorf("replies after Edit of a module gone from the catalogue = %q, want one saying the module is gone", replies)
	}
}

// TestChoosingCardWaitsForItsCatalogue: a module choice whose catalogue
// cannot be loaded is not drawn as an empty catalogue; the card stays owed
// and is drawn with the modules once the catalogue loads.
func TestChoosingCardWaitsForItsCatalogue(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	r := flowtest.RequestIn(flow.ChoosingModule) // has a thread: its first card was shown
	r.Owed = []flow.Effect{{ID: "11-show_card", Kind: flow.EffShowCard}}
	ports.Catalogs.Fail("Catalog", 5, errors.New("github: 502 bad gateway"))
	r.Version = 1
	if err := ports.Store.Create(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	h.settle()
	v := ports.Chat.LastView(r.ID)
	if v.Request == nil || v.Catalog == nil {
		t.Errorf("last card drawn while choosing = %+v, want one with the catalogue (drawn once it loaded)", v)
	}
}

// TestRunLeavesNoGoroutines: once Run returns, the runners it started,
// and the timers of parked acknowledgements and backoffs, leave no
// goroutine behind (a card failing into backoff included).
func TestRunLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	r := h.open("dev")
	ports.Chat.Fail("ShowCard", -1, errors.New("slack: 500"))
	h.handle(r.ID, flow.Event{Kind: flow.EvCancel, Actor: actor("U1")})
	h.stop()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Run returned, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
