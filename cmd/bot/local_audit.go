package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// migrateAudit moves an audit log written by earlier versions of bot local,
// which opened the log at DATA/audit and so kept its records under
// DATA/audit/audit/<yyyy>/..., to DATA/audit/<yyyy>/..., where the log is
// now opened and where the README says records are. Moving, rather than
// reading both places, keeps one layout for the people and scripts that read
// the files. Records are immutable, so directories are merged by renaming
// what is missing; each rename is atomic, so a migration interrupted by a
// crash resumes at the next start. A record present in both places with
// different contents stops the migration with both paths named, and nothing
// is lost. It reports whether there was anything to move.
func migrateAudit(dataDir string) (moved bool, err error) {
	root := filepath.Join(dataDir, "audit")
	old := filepath.Join(root, "audit")
	if _, err := os.Lstat(old); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	// The old log's scratch folder goes first (it is empty unless a writer
	// crashed, and then holds only temporary files that were never
	// records), so that nothing of the old layout outlives its records.
	err = os.RemoveAll(filepath.Join(root, "tmp"))
	if err == nil {
		err = mergeInto(old, root)
	}
	if err != nil {
		return true, fmt.Errorf("move the audit log from %s to %s: %w", old, root, err)
	}
	return true, nil
}

// mergeInto moves the entries of folder src into folder dst, merging
// folders present in both, and removes src.
func mergeInto(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		fi, err := os.Lstat(to)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			err = os.Rename(from, to)
		case err != nil:
		case e.IsDir() && fi.IsDir():
			err = mergeInto(from, to)
		default:
			err = dropDuplicate(from, to)
		}
		if err != nil {
			return err
		}
	}
	return os.Remove(src)
}

// dropDuplicate removes from, a record already at to with the same bytes.
func dropDuplicate(from, to string) error {
	a, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(to)
	if err != nil {
		return err
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("%s and %s differ; keep the right one at %s, remove the other, and start again", from, to, to)
	}
	return os.Remove(from)
}
