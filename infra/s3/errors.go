package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/tfpilot/tfpilot/flow"
)

// Error is a failed S3 call, with the SDK's details flattened to text. It
// unwraps to the flow sentinel the failure means, if any, so callers match
// with errors.Is(err, flow.ErrConflict) and the like.
type Error struct {
	Op     string // get, put, list
	Key    string
	Code   string // S3 error code, e.g. PreconditionFailed; empty for transport errors
	Status int    // HTTP status; 0 if there was no response
	Msg    string
	Kind   error // flow.ErrNotFound, ErrConflict, ErrTransient, or nil
}

func (e *Error) Error() string {
	s := fmt.Sprintf("s3 %s %s", e.Op, e.Key)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

func (e *Error) Unwrap() error { return e.Kind }

// translate turns an SDK error into an *Error (or the context's error when
// ctx ended), dropping every SDK type.
func translate(ctx context.Context, op, key string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("s3 %s %s: %w", op, key, ctxErr)
	}
	e := &Error{Op: op, Key: key}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		e.Code, e.Msg = apiErr.ErrorCode(), apiErr.ErrorMessage()
	} else {
		e.Msg = err.Error()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		e.Status = respErr.HTTPStatusCode()
	}
	e.Kind = kind(e.Code, e.Status, apiErr != nil || e.Status != 0)
	return e
}

// kind maps an S3 error code and HTTP status to a flow sentinel. A failure
// without any response (connection refused, reset, timeout) is transient.
func kind(code string, status int, answered bool) error {
	switch code {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return flow.ErrConflict
	case "NoSuchKey", "NotFound":
		return flow.ErrNotFound
	case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
		"InternalError", "ServiceUnavailable":
		return flow.ErrTransient
	}
	switch {
	case status == http.StatusPreconditionFailed, status == http.StatusConflict:
		return flow.ErrConflict
	case status == http.StatusNotFound && code == "":
		return flow.ErrNotFound
	case status == http.StatusTooManyRequests, status >= 500, !answered:
		return flow.ErrTransient
	}
	return nil
}
