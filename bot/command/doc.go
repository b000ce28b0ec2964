// Package command parses what people type to TfPilot: the /tfpilot command
// line (new, list, status, approve, …) and key=value input replies. Both
// chat surfaces (Slack and the local console) use it, so it knows nothing
// of either: no slack-go, no I/O, only strings in and values or usage
// errors out.
package command
