package bot

import (
	"go.uber.org/zap"

	"github.com/tfpilot/tfpilot/flow"
)

// requestFields are the fields of every log line about a request: its ID,
// its thread and its requester, so one request can be followed in the logs.
func requestFields(r *flow.Request) []zap.Field {
	return []zap.Field{
		zap.String("request_id", r.ID),
		zap.String("thread", r.Thread.Channel+"/"+r.Thread.TS),
		zap.String("user", r.Requester.ID),
	}
}

// submitFields are the fields of a line about a request known only by ID
// (a modal submission carries no thread), with the person acting.
func submitFields(requestID, channel, threadTS, user string) []zap.Field {
	f := []zap.Field{zap.String("request_id", requestID), zap.String("user", user)}
	if channel != "" {
		f = append(f, zap.String("thread", channel+"/"+threadTS))
	}
	return f
}
