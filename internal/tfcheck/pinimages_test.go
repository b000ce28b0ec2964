package tfcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	digestZ = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
)

// fakeCrane writes a crane that answers `crane digest IMAGE` from digests
// (anything else fails) and returns the folder to put first on PATH.
func fakeCrane(t *testing.T, digests map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = digest ] || { echo \"unexpected: $*\" >&2; exit 9; }\ncase \"$2\" in\n"
	for image, d := range digests {
		script += "  '" + image + "') echo " + d + " ;;\n"
	}
	script += "  *) echo \"MANIFEST_UNKNOWN: $2\" >&2; exit 1 ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(dir, "crane"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPinImages runs `make pin-images` with a fake crane on PATH: each
// image a Dockerfile builds FROM is pinned to its tag's digest (again, if
// pinned already); stages, scratch and ARG-built references stay.
func TestPinImages(t *testing.T) {
	root := repoRoot(t)
	real, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	crane := fakeCrane(t, map[string]string{"golang:1.27.3": digestA, "gcr.io/distroless/static-debian12:nonroot": digestB, "alpine:3": digestZ})
	tests := []struct {
		name, in, want, out string
	}{
		{
			name: "the repository's Dockerfile",
			in:   string(real),
			want: strings.NewReplacer("FROM golang:1.27.3 AS build", "FROM golang:1.27.3@"+digestA+" AS build",
				"FROM gcr.io/distroless/static-debian12:nonroot\n", "FROM gcr.io/distroless/static-debian12:nonroot@"+digestB+"\n").Replace(string(real)),
			out: "pinned golang:1.27.3@" + digestA + "\npinned gcr.io/distroless/static-debian12:nonroot@" + digestB + "\n",
		},
		{
			name: "flags, stages, scratch, ARG, repin",
			in: "ARG BASE=alpine:3\n" +
				"FROM --platform=$BUILDPLATFORM golang:1.27.3@" + digestZ + " AS build\n" +
				"RUN echo FROM x\n" +
				"FROM build AS test\n" +
				"FROM ${BASE}\n" +
				"FROM scratch\n" +
				"from alpine:3@" + digestZ + "\n" +
				"COPY --from=build /a /a",
			want: "ARG BASE=alpine:3\n" +
				"FROM --platform=$BUILDPLATFORM golang:1.27.3@" + digestA + " AS build\n" +
				"RUN echo FROM x\n" +
				"FROM build AS test\n" +
				"FROM ${BASE}\n" +
				"FROM scratch\n" +
				"from alpine:3@" + digestZ + "\n" +
				"COPY --from=build /a /a\n",
			out: "pinned golang:1.27.3@" + digestA + "\nalready pinned alpine:3@" + digestZ + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(file, []byte(tt.in), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("make", "-s", "--no-print-directory", "pin-images", "DOCKERFILE="+file)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+crane+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make pin-images: %v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.out, string(out)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Dockerfile (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPinImagesRefuses: without crane or docker, or when the registry does
// not answer a digest, the script says why and leaves the Dockerfile as it
// was.
func TestPinImagesRefuses(t *testing.T) {
	root := repoRoot(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	// A PATH with only what the script needs besides the registry tool.
	bare := t.TempDir()
	for _, tool := range []string{"mktemp", "mv", "rm", "chmod", "sh"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bare, tool)); err != nil {
			t.Fatal(err)
		}
	}
	const dockerfile = "FROM golang:1.27.3 AS build\nFROM unknown:1\n"
	tests := []struct {
		name, path, want string
		code             int
	}{
		{"no tool", bare, "pin-images: needs crane or docker with buildx on PATH", 2},
		{"unknown image", fakeCrane(t, map[string]string{"golang:1.27.3": digestA}) + string(os.PathListSeparator) + bare,
			"pin-images: cannot read the digest of unknown:1", 1},
		{"not a digest", fakeCrane(t, map[string]string{"golang:1.27.3": "latest", "unknown:1": digestA}) + string(os.PathListSeparator) + bare,
			"pin-images: golang:1.27.3: expected a sha256 digest, got: latest", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "Dockerfile")
			if err := os.WriteFile(file, []byte(dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bash, filepath.Join(root, "deploy", "pin-images.sh"), file)
			cmd.Env = []string{"PATH=" + tt.path}
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tt.code || !strings.Contains(string(out), tt.want) {
				t.Errorf("exit %d (%v), output %q; want exit %d saying %q", code, err, out, tt.code, tt.want)
			}
			got, _ := os.ReadFile(file)
			entries, _ := os.ReadDir(dir)
			if string(got) != dockerfile || len(entries) != 1 {
				t.Errorf("Dockerfile now %q with %d files beside; want it untouched and alone", got, len(entries))
			}
		})
	}
}

// TestDependabot: Dependabot watches the three kinds of pins this
// repository has, at its root, where go.mod, .github/workflows and the
// Dockerfile are.
func TestDependabot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
			Schedule  struct {
				Interval string `yaml:"interval"`
			} `yaml:"schedule"`
		} `yaml:"updates"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, u := range cfg.Updates {
		if u.Schedule.Interval == "" {
			t.Errorf("%s: no schedule interval", u.Ecosystem)
		}
		got[u.Ecosystem] = u.Directory
	}
	want := map[string]string{"gomod": "/", "github-actions": "/", "docker": "/"}
	if diff := cmp.Diff(want, got); diff != "" || cfg.Version != 2 {
		t.Errorf("version %d, ecosystems (-want +got):\n%s", cfg.Version, diff)
	}
}
