package github

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// TestRecordOnChange: the record is one comment on the pull request,
// created once and then edited in place — also by a new process that finds
// it by its marker — never a person's comment quoting the marker, and
// written anew when someone deleted it.
func TestRecordOnChange(t *testing.T) {
	e := newEnv(t)
	ch := mustOpen(t, e.c, spec(fileContent))
	body := func(s string) string { return flow.RecordMarker + "\n" + s }
	e.f.CommentAs(fullRepo, ch.Number, "mallory", body("forged: approved by everyone"))
	ctx := t.Context()
	for _, s := range []string{"planned", "approved"} {
		if err := e.c.RecordOnChange(ctx, project, ch, body(s)); err != nil {
			t.Fatal(err)
		}
	}
	fresh := e.client(t) // a restarted TfPilot: nothing remembered
	if err := fresh.RecordOnChange(ctx, project, ch, body("applied")); err != nil {
		t.Fatal(err)
	}
	want := []string{body("forged: approved by everyone"), body("applied")}
	if diff := cmp.Diff(want, e.f.Comments(fullRepo, ch.Number)); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	e.f.DeleteComments(fullRepo, ch.Number)
	if err := fresh.RecordOnChange(ctx, project, ch, body("merged")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{body("merged")}, e.f.Comments(fullRepo, ch.Number)); diff != "" {
		t.Errorf("comments after someone deleted the record (-want +got):\n%s", diff)
	}
}
