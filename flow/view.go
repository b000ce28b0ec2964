package flow

import "github.com/tfpilot/tfpilot/registry"

// View is everything a surface needs to draw a request's card. The engine
// gathers it when it runs a show_card effect and hands it to the Chat port
// in the call, the way raft's Ready carries what its caller acts on, so a
// chat adapter never calls back into the engine to draw a card. Whatever
// the engine could not load is left out and the card degrades (no module
// list, no preview); the card is shown all the same.
type View struct {
	Request *Request
	// Policy names the projects and the environments a person may request
	// in (the module choice) and the approvals an environment asks for.
	Policy Policy
	// Outlook is flow's answer for the card everyone in the thread sees:
	// the moves someone may make now, and where approvals stand.
	Outlook Outlook
	// Catalog is the catalogue of the request's project while a module is
	// being chosen (nil while no project is chosen).
	Catalog *registry.Catalog
	// Preview is the file the change will write with sensitive values
	// redacted (a destroy request's file, with no content), and Derived the names the module derives from the
	// inputs; both only while the request is confirming.
	Preview *registry.File
	Derived []registry.DerivedName
}

// NotifyChannelFor is the notifications channel of environment env: its
// own, else the policy's, else "" (the surface's default, if it has one).
func (p Policy) NotifyChannelFor(env string) string {
	if e, ok := p.Environment(env); ok && e.NotifyChannel != "" {
		return e.NotifyChannel
	}
	return p.NotifyChannel
}
