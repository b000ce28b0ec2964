package local

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps the names a and b (renameat2 RENAME_EXCHANGE,
// Linux 3.15+ on ext4, XFS, btrfs, tmpfs and others). It returns
// errNoExchange where the file system cannot.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return nil
}
