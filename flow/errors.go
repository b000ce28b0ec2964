package flow

import (
	"errors"
	"fmt"

	"github.com/tfpilot/tfpilot/registry"
)

// Sentinels for matchable conditions. Adapters translate their SDK errors to
// these; callers match with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrConflict  = errors.New("conflict: changed by someone else")
	ErrStale     = errors.New("stale: the branch or its base moved after the plan")
	ErrDenied    = errors.New("not allowed")
	ErrBadEvent  = errors.New("event does not fit the request's state")
	ErrTransient = errors.New("temporary failure")
	// ErrMergeRefused: the repository refuses to merge a change (branch
	// protection, a required review or check, a conflict, a closed pull
	// request). Retrying now changes nothing; a person must act first.
	ErrMergeRefused = errors.New("merge refused")
	// ErrHeld: approve or apply is refused for now because another request
	// of the environment is applied but not merged. It is an ErrBadEvent
	// that clears by itself once that merge lands.
	ErrHeld = fmt.Errorf("environment held by an unmerged request: %w", ErrBadEvent)
	// ErrPlanChanged: an approve, reject or apply sent from a card drawn for
	// a plan that is no longer the request's current one (Event.PlanRunID).
	// It is an ErrDenied, audited like any denial: acting on it would bind
	// the person to a plan they did not see.
	ErrPlanChanged = fmt.Errorf("the plan changed since it was shown: %w", ErrDenied)
)

// MergeRefusedError is a merge the repository refused, with its reason as
// the repository gave it (GitHub's message). It unwraps to ErrMergeRefused.
type MergeRefusedError struct {
	Reason string
}

func (e *MergeRefusedError) Error() string { return "merge refused: " + e.Reason }
func (e *MergeRefusedError) Unwrap() error { return ErrMergeRefused }

// UserError is an error whose text is meant for the person who acted: what
// is wrong and what to do next. It wraps a sentinel for matching.
type UserError struct {
	Msg string
	Err error
}

func (e *UserError) Error() string { return e.Msg }
func (e *UserError) Unwrap() error { return e.Err }

// Userf builds a UserError wrapping sentinel.
func Userf(sentinel error, msg string) *UserError { return &UserError{Msg: msg, Err: sentinel} }

// InputsNotSet reports inputs a person gave that were not set: Problems has
// one entry per problem, for display field by field. Request is the request
// they were for, or "" when Open refused them and nothing was created. Set
// names the inputs of the same event that were valid and were set all the
// same (a request being filled in keeps the good values of a line that also
// has a bad one). It unwraps to Problems.
type InputsNotSet struct {
	Request  string
	Set      []string
	Problems registry.InputErrors
}

func (e *InputsNotSet) Error() string { return e.Problems.Error() }
func (e *InputsNotSet) Unwrap() error { return e.Problems }
