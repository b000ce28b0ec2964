package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// runVersion prints what bot was built from: `bot version`, also
// `bot --version` and `bot -v`.
func runVersion(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "version", "")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	_, err := fmt.Fprint(env.stdout, versionText(bi, ok, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH))
	return err
}

// versionText is the version report: the module version and VCS revision
// from the build information when the binary carries them, then the Go
// version. A binary built with -buildvcs=false (or outside a git checkout)
// has no revision, and one built from a checkout has version "(devel)".
func versionText(bi *debug.BuildInfo, ok bool, goVersion, platform string) string {
	version, rev := "(unknown)", "unknown (built without VCS information)"
	if ok && bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		vcs := map[string]string{}
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
		if r := vcs["vcs.revision"]; r != "" {
			rev = r
			if t := vcs["vcs.time"]; t != "" {
				rev += " (" + t + ")"
			}
			if vcs["vcs.modified"] == "true" {
				rev += ", with uncommitted changes"
			}
		}
	}
	return fmt.Sprintf("bot %s\nrevision: %s\ngo: %s %s\n", version, rev, goVersion, platform)
}
