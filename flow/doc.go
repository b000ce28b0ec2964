// Package flow owns the TfPilot request lifecycle: the pure state machine
// ([Step]) that moves one request from module choice to applied
// infrastructure, and the [Engine] that loads a request, steps it, saves it
// together with the effects it owes (an outbox) and runs those effects
// through the ports declared here (Store, Repo, Runs, Chat, Audit, Catalogs).
//
// flow must not import slack-go, go-github, the AWS SDK or any infra/*
// package; adapters depend on flow's value types, never the reverse. Step
// does no I/O and reads no clock: time arrives on the event.
package flow
