// Package command is what people type to TfPilot, for both chat surfaces
// (Slack and the local console): Parse reads the /tfpilot command line
// (new, list, status, approve, …) and ParseAssignments key=value input
// replies; Interpret decides what a parsed command asks for (the event to
// send, the request a reference names, the project and environment that
// fit) by reading the engine through the small Reader port. It knows
// nothing of either surface: no slack-go, no terminal, and it never changes
// anything; the surfaces send the event and render the result.
package command
