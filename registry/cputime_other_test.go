//go:build !(linux || darwin)

package registry

// processCPU reports that process CPU time is not measured here.
func processCPU() (int64, bool) { return 0, false }
