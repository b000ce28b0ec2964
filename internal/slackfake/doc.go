// Package slackfake is a fake Slack for tests: the Web API methods TfPilot
// calls (recording every call, able to answer 429 with Retry-After or
// ok:false; chat.postMessage keeps message metadata, and
// conversations.history serves the channel's posts with it),
// apps.connections.open (each call a new connection, as Slack
// allows an app up to 10), and Socket Mode WebSockets that send hello,
// pings and envelopes, spread over the live connections (Spread), and read
// acks, matched by envelope ID on any connection. The real slack-go socketmode
// client connects to it through slack.OptionAPIURL(f.APIURL()).
//
// It is test infrastructure only: no production code may import it.
package slackfake
