//go:build !linux

package local

import (
	"errors"
	"os"
)

// haveSyncfs is false where syncfs(2) does not exist: GroupCommit falls back
// to PerFileSync.
const haveSyncfs = false

func syncfs(*os.File) error { return errors.ErrUnsupported }

func fsID(string) (uint64, error) { return 0, errors.ErrUnsupported }
