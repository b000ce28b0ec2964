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
// Like a Slack thread, where the card updates in place and replies tell the
// history, the console prints a request's full card only when the request
// appears, when its plan is ready and when it waits for someone to act;
// other updates are one "[label] state · detail" line, left out when a
// thread reply tells the same news. Every line names a request by its own
// label (registry.Label of its ID), a destroy request's too.
//
// Output and input are separate values, wired once by cmd/bot: [Screen]
// implements flow.Chat for the engine and draws only what each call carries
// (a card from its flow.View), so it needs no engine; [Console] reads lines
// and drives the engine through the methods it declares in [Engine],
// printing through the Screen. It must not import slack-go
// or any infra package, and it holds no request state of its own beyond
// what is on screen (and what it last printed, to avoid repeating it): the
// engine and its store are the truth.
package console
