//go:build linux || darwin

package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time the process has used so far (user and system,
// all threads, the garbage collector's and the kernel's work for it
// included), and true.
func Process() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
