//go:build !(linux || darwin)

package cputime

import "time"

// Process reports that process CPU time is not measured here.
func Process() (time.Duration, bool) { return 0, false }
