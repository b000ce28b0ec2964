package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFlagMistakes: every subcommand reports a flag mistake on its own,
// followed by a pointer to its -h, and not buried under the whole usage;
// -h prints the usage to stdout and succeeds.
func TestFlagMistakes(t *testing.T) {
	type result struct {
		Code           int
		Stdout, Stderr string
	}
	mistake := func(cmd, msg string) result {
		return result{2, "", "bot " + cmd + ": " + msg + "\nrun 'bot " + cmd + " -h' for its usage\n"}
	}
	tests := []struct {
		args []string
		want result
	}{
		{[]string{"modules", "--nope"}, mistake("modules", "flag provided but not defined: -nope")},
		{[]string{"check", "--nope"}, mistake("check", "flag provided but not defined: -nope")},
		{[]string{"render", "--nope"}, mistake("render", "flag provided but not defined: -nope")},
		{[]string{"render", "--module"}, mistake("render", "flag needs an argument: -module")},
		{[]string{"render", "--module", "s3-bucket", "--project", "p"}, mistake("render", "--env is required")},
		{[]string{"summarize", "--nope", "plan.json"}, mistake("summarize", "flag provided but not defined: -nope")},
		{[]string{"summarize", "--max", "many", "plan.json"}, mistake("summarize", `invalid value "many" for flag -max: parse error`)},
		{[]string{"summarize"}, mistake("summarize", "want one plan file (PLAN.json, or - for standard input), got 0 arguments")},
		{[]string{"local", "--nope"}, mistake("local", "flag provided but not defined: -nope")},
		{[]string{"serve", "--nope"}, mistake("serve", "flag provided but not defined: -nope")},
		{[]string{"serve", "extra"}, mistake("serve", `unexpected argument "extra"`)},
		{[]string{"version", "--nope"}, mistake("version", "flag provided but not defined: -nope")},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCmdForTest(t, tt.args...)
			if diff := cmp.Diff(tt.want, result{code, out, errOut}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for name := range commands() {
		t.Run(name+" -h", func(t *testing.T) {
			code, out, errOut := runCmdForTest(t, name, "-h")
			if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: bot "+name) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", code, out, errOut)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		code, out, errOut := runCmdForTest(t, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "bot ") || !strings.Contains(out, "\ngo: "+runtime.Version()+" ") {
			t.Errorf("bot %s: exit %d, stdout %q, stderr %q", args[0], code, out, errOut)
		}
	}
}

func TestVersionText(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build information", nil, false,
			"bot (unknown)\nrevision: unknown (built without VCS information)\ngo: go1.99.0 linux/amd64\n"},
		{"checkout built with -buildvcs=false", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "(devel)"}}, true,
			"bot (devel)\nrevision: unknown (built without VCS information)\ngo: go1.27.3 linux/amd64\n"},
		{"checkout with VCS stamping", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "v0.0.0-20261201100000-0123456789ab+dirty"},
			Settings: vcs("vcs", "git", "vcs.revision", "0123456789abcdef", "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "true")}, true,
			"bot v0.0.0-20261201100000-0123456789ab+dirty\nrevision: 0123456789abcdef (2026-12-01T10:00:00Z), with uncommitted changes\ngo: go1.27.3 linux/amd64\n"},
		{"go install of a release", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "v1.2.0"}}, true,
			"bot v1.2.0\nrevision: unknown (built without VCS information)\ngo: go1.27.3 linux/amd64\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, versionText(tt.bi, tt.ok, "go1.99.0", "linux/amd64")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
