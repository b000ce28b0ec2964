// Package console is the terminal chat of `bot local`: it shows TfPilot's
// cards as text with numbered buttons and reads what a person types, line by
// line, until end of input.
//
// It accepts what Slack accepts — /tfpilot commands (parsed by bot/command),
// key=value lines for the current request — plus what a terminal needs in
// place of clicks and identities: a number presses a button of the last
// card shown, /as <user> acts as someone else, and "last" stands for the
// most recent request. Output is plain text (no ANSI) unless told it writes
// to a terminal, so a piped script gives a readable transcript.
//
// The console implements flow.Chat for the engine and drives the engine
// through the methods it declares in [Engine]. It must not import slack-go
// or any infra package, and it holds no request state of its own beyond
// what is on screen: the engine and its store are the truth.
package console
