//go:build !linux

package local

// exchange is Linux-only; elsewhere the store replaces records by renaming
// a new temporary file over them.
func exchange(a, b string) error { return errNoExchange }
