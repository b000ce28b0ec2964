// Package slackfake is a fake Slack for tests: the Web API methods TfPilot
// calls (recording every call, able to answer 429 with Retry-After or
// ok:false), apps.connections.open, and a Socket Mode WebSocket that sends
// hello, pings and envelopes and reads acks. The real slack-go socketmode
// client connects to it through slack.OptionAPIURL(f.APIURL()).
//
// It is test infrastructure only: no production code may import it.
package slackfake
