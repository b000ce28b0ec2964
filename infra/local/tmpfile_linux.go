package local

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openUnnamed opens a new file in dir that has no name yet (O_TMPFILE): it
// becomes visible only when linkUnnamed gives it one, and vanishes if the
// process dies first. It returns errNoTmpfile where the file system or the
// kernel cannot.
func openUnnamed(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EINVAL):
		return nil, errNoTmpfile
	case err != nil:
		return nil, &os.PathError{Op: "open unnamed file in", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir+"/(unnamed)"), nil
}

// linkUnnamed names f, from openUnnamed, path; it fails with fs.ErrExist if
// path is taken. Linking an open file by descriptor goes through /proc
// (linkat with AT_EMPTY_PATH needs a capability).
func linkUnnamed(f *os.File, path string) error {
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}

// haveUnnamed reports whether linkUnnamed can work: /proc is mounted.
func haveUnnamed() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
}
