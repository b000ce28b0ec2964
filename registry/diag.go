package registry

import (
	"fmt"
	"strings"
)

// Diagnostic is a problem found while reading a module, located by file
// (relative to the catalogue root, e.g. "s3-bucket/variables.tf") and line.
type Diagnostic struct {
	Module, File string
	Line         int
	Message      string
}

// Error returns "file:line: message" (without the line when it is unknown).
func (d Diagnostic) Error() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
	}
	return fmt.Sprintf("%s: %s", d.File, d.Message)
}

// Diagnostics is a list of problems; as an error it prints one per line.
type Diagnostics []Diagnostic

// Error returns one diagnostic per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns ds as an error, or nil when there is nothing to report, so that
// a nil Diagnostics never becomes a non-nil error interface.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	return ds
}

// InputError is one problem with a value a person gave for a field.
// Field is the variable's name, or the key as typed when it names none
// (clipped, like any typed text a Reason quotes).
type InputError struct {
	Field, Reason string
}

// clipLen is how many characters of typed text an InputError quotes back.
const clipLen = 40

// clip shortens typed text to clipLen characters for quoting it back, so a
// pasted 100 KB key is not echoed whole. (bot/command.Clip does the same for
// the chat surfaces; the registry sits below them and cannot use it.)
func clip(s string) string {
	if len(s) <= clipLen {
		return s
	}
	r := []rune(s)
	if len(r) <= clipLen {
		return s
	}
	return string(r[:clipLen-1]) + "…"
}

// Error returns "field: reason".
func (e InputError) Error() string { return e.Field + ": " + e.Reason }

// InputErrors are all problems found with one set of inputs.
type InputErrors []InputError

// Error returns one "field: reason" per line.
func (es InputErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es InputErrors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
