package ghfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// send makes an API call and decodes a 2xx answer into out (if not nil).
func send(t *testing.T, f *Fake, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFakeListPulls: "List pull requests" filters by state and by head
// (owner:branch, so a fork's branch of the same name is not the
// repository's), sorts by created or updated in either direction (desc by
// default only for created), pages, and lists the simple form: merged_at,
// head.repo, no "merged". MergeByHand squash-merges onto main and deletes
// the branch.
func TestFakeListPulls(t *testing.T) {
	f := New(t)
	f.AddRepo("o", "r", "main", map[string]string{"a.txt": "a"})
	main := f.Branch("o/r", "main")
	for _, b := range []string{"x", "y"} {
		send(t, f, "POST", "repos/o/r/git/refs", fmt.Sprintf(`{"ref":"refs/heads/%s","sha":"%s"}`, b, main), nil)
		f.CommitToBranch("o/r", b, map[string]string{b + ".txt": b})
		send(t, f, "POST", "repos/o/r/pulls", fmt.Sprintf(`{"title":"%s","head":"%s","base":"main"}`, b, b), nil)
	}
	fork := f.OpenForkPR("o/r", "m/r", "x", "from a fork")
	f.MergeByHand("o/r", 1, "alice")
	f.ClosePR("o/r", fork)
	f.ClosePR("o/r", 2)

	type item struct {
		Number   int
		HeadRepo string
		Merged   bool // merged_at set
		HasFlag  bool // a "merged" field
	}
	list := func(query string) []item {
		var raw []map[string]any
		send(t, f, "GET", "repos/o/r/pulls?"+query, "", &raw)
		var out []item
		for _, p := range raw {
			_, flag := p["merged"]
			head := p["head"].(map[string]any)
			out = append(out, item{int(p["number"].(float64)), head["repo"].(map[string]any)["full_name"].(string), p["merged_at"] != nil, flag})
		}
		return out
	}
	one, two, three := item{1, "o/r", true, false}, item{2, "o/r", false, false}, item{3, "m/r", false, false}
	tests := []struct {
		query string
		want  []item
	}{
		{"state=closed&sort=updated&direction=desc", []item{two, three, one}},
		{"state=closed&sort=updated", []item{one, three, two}},
		{"state=closed", []item{three, two, one}},
		{"state=closed&head=o:x", []item{one}},
		{"state=closed&head=m:x", []item{three}},
		{"state=open", nil},
		{"state=all&sort=updated&direction=desc&per_page=2", []item{two, three}},
		{"state=all&sort=updated&direction=desc&per_page=2&page=2", []item{one}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, list(tt.query)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}

	if f.Branch("o/r", "x") != "" {
		t.Error("MergeByHand left the branch")
	}
	if got, _ := f.File("o/r", "main", "x.txt"); got != "x" || f.Parents("o/r", f.Branch("o/r", "main"))[0] != main {
		t.Errorf("main after MergeByHand: x.txt %q, parents %v; want one squash commit on %s", got, f.Parents("o/r", f.Branch("o/r", "main")), main)
	}
	if prs := f.PullRequests("o/r"); !prs[0].Merged || prs[0].MergeMethod != "squash" || prs[1].Merged {
		t.Errorf("pull requests %+v", prs)
	}
}
