//go:build !linux

package local

import "os"

func openUnnamed(string) (*os.File, error) { return nil, errNoTmpfile }

func linkUnnamed(*os.File, string) error { return errNoTmpfile }

func haveUnnamed() bool { return false }
