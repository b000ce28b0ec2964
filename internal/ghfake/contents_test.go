package ghfake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestContents: "Get repository content" answers as GitHub documents it —
// a file in base64 wrapped at 60 characters, a folder as an array of its
// entries, a file over 1 MB without content, 404s that tell a missing
// path from an unknown ref — at the commit, branch or default branch
// asked for.
func TestContents(t *testing.T) {
	f := New(t)
	long := strings.Repeat("x", 100)
	f.AddRepo("o", "r", "main", map[string]string{"envs/dev/a.tf": long, "envs/dev/sub/b.tf": "b", "big.bin": strings.Repeat("y", maxContentSize+1)})
	first := f.Branch("o/r", "main")
	second := f.CommitToBranch("o/r", "main", map[string]string{"envs/dev/a.tf": "changed"})
	get := func(path string) (int, any) {
		req, _ := http.NewRequest("GET", f.URL+"repos/o/r/contents/"+path, nil)
		req.Header.Set("Authorization", "Bearer "+Token)
		req.Header.Set("X-GitHub-Api-Version", APIVersion)
		req.Header.Set("Accept", "application/vnd.github+json")
		resp, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
		return resp.StatusCode, v
	}
	wrapped := base64.StdEncoding.EncodeToString([]byte(long))
	wrapped = wrapped[:60] + "\n" + wrapped[60:120] + "\n" + wrapped[120:] + "\n"
	// file is envs/dev/a.tf holding raw, sent as content.
	file := func(raw, content string) map[string]any {
		return map[string]any{"type": "file", "name": "a.tf", "path": "envs/dev/a.tf", "sha": BlobSHA([]byte(raw)),
			"size": float64(len(raw)), "encoding": "base64", "content": content}
	}
	changed := base64.StdEncoding.EncodeToString([]byte("changed")) + "\n"
	for _, tc := range []struct {
		name, path string
		status     int
		want       any
	}{
		{"a file at a commit", "envs/dev/a.tf?ref=" + first, 200, file(long, wrapped)},
		{"a file at a branch", "envs/dev/a.tf?ref=main", 200, file("changed", changed)},
		{"a file at the default branch", "envs/dev/a.tf", 200, file("changed", changed)},
		{"a folder", "envs/dev?ref=" + second, 200, []any{
			map[string]any{"type": "file", "name": "a.tf", "path": "envs/dev/a.tf", "sha": BlobSHA([]byte("changed")), "size": float64(7)},
			map[string]any{"type": "dir", "name": "sub", "path": "envs/dev/sub", "sha": BlobSHA([]byte("dir envs/dev/sub")), "size": float64(0)},
		}},
		{"a file over 1 MB", "big.bin?ref=" + second, 200, map[string]any{"type": "file", "name": "big.bin", "path": "big.bin",
			"sha": BlobSHA([]byte(strings.Repeat("y", maxContentSize+1))), "size": float64(maxContentSize + 1), "encoding": "none", "content": ""}},
		{"a missing path", "envs/dev/c.tf?ref=" + second, 404, map[string]any{"message": "Not Found"}},
		{"an unknown ref", "envs/dev/a.tf?ref=" + strings.Repeat("0", 40), 404, map[string]any{"message": "No commit found for the ref " + strings.Repeat("0", 40)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, got := get(tc.path)
			if m, ok := got.(map[string]any); ok && tc.status != 200 { // documentation_url aside
				got = map[string]any{"message": m["message"]}
			}
			if status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}
