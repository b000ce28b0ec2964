package local

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

const haveSyncfs = true

// syncfs flushes the whole file system f is on (syncfs(2)).
func syncfs(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var sErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			sErr = unix.Syncfs(int(fd))
			if !errors.Is(sErr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	if sErr != nil {
		return os.NewSyscallError("syncfs", sErr)
	}
	return nil
}

// fsID names the file system path is on, so that every writer on it
// shares one group commit.
func fsID(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return uint64(st.Dev), nil
}
