package console

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/bot/command"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in      string
		want    line
		wantErr string
	}{
		{in: "", want: line{kind: lineEmpty}},
		{in: "   # a comment", want: line{kind: lineEmpty}},
		{in: "/tfpilot", want: line{kind: lineCommand, cmd: command.Command{Verb: command.VerbStart}}},
		{in: "/tfpilot new s3-bucket env=dev name=logs", want: line{kind: lineCommand, cmd: command.Command{
			Verb: command.VerbNew, Module: "s3-bucket", Environment: "dev", Inputs: map[string]string{"name": "logs"}}}},
		{in: "tfpilot apply last", want: line{kind: lineCommand, cmd: command.Command{Verb: command.VerbApply, ID: "last"}}},
		{in: "/tfpilot frobnicate", wantErr: `unknown command "frobnicate"`},
		{in: `name=logs versioning="true"`, want: line{kind: lineAssign, inputs: map[string]string{"name": "logs", "versioning": "true"}}},
		{in: "name=", want: line{kind: lineAssign, inputs: map[string]string{"name": ""}}},
		{in: "name=a name=b", wantErr: `"name" is given twice`},
		{in: " 2 ", want: line{kind: linePress, button: 2}},
		{in: "0", wantErr: "no button 0"},
		{in: "/as bob", want: line{kind: lineAs, user: "bob"}},
		{in: "/as", wantErr: "/as needs one user name"},
		{in: "/as bob alice", wantErr: "/as needs one user name"},
		{in: "/whoami", want: line{kind: lineWhoami}},
		{in: "help", want: line{kind: lineHelp}},
		{in: "/quit", want: line{kind: lineQuit}},
		{in: "/approve", wantErr: `unknown command "/approve"`},
		{in: "hello there", wantErr: "type a /tfpilot command"},
		{in: "Visibility Timeout = 60", want: line{kind: lineAssign, inputs: map[string]string{"Visibility Timeout": "60"}}},
		{in: "Visibility Timeout = 60 name=x", wantErr: `a name with spaces like "Visibility Timeout" must be on a line of its own`},
		{in: "name=my bucket", wantErr: `expected = after "bucket"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLine(tt.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if tt.wantErr != "" && !strings.Contains(gotErr, tt.wantErr) || tt.wantErr == "" && err != nil {
				t.Fatalf("parseLine(%q) error = %q; want containing %q", tt.in, gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(line{})); diff != "" {
				t.Errorf("parseLine(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRenderCard(t *testing.T) {
	c := card.Card{
		Title:    "Create s3-bucket in prod",
		Status:   "Awaiting approval (0 of 1)",
		Fields:   []card.Field{{Label: "Request", Value: "0a1b2c3d4e5f"}, {Label: "State", Value: "awaiting_approval"}},
		Sections: []card.Section{{Title: "Inputs", Lines: []string{"name = logs"}, More: 2}},
		Code:     &card.Code{Title: "envs/prod/tfpilot_0a1b2c3d4e5f.tf", Text: "module \"x\" {\n}\n", Truncated: true},
		Links:    []card.Link{{Text: "Pull request #2", URL: "local PR #2"}},
		Notes:    []string{"static preview"},
		Groups: []card.Group{
			{Title: "Module", Buttons: []card.Button{{Text: "s3-bucket", Action: card.ActChooseModule, Description: "An S3 bucket"}}},
			{Buttons: []card.Button{
				{Text: "Approve", Action: card.ActApprove, Style: card.StylePrimary},
				{Text: "Reject", Action: card.ActReject, Style: card.StyleDanger},
			}},
		},
	}
	want := `== Create s3-bucket in prod ==
Awaiting approval (0 of 1)
Request: 0a1b2c3d4e5f | State: awaiting_approval
Inputs:
  name = logs
  …and 2 more
envs/prod/tfpilot_0a1b2c3d4e5f.tf:
    module "x" {
    }
    …
Pull request #2: local PR #2
note: static preview
Module
  [1] s3-bucket — An S3 bucket
[2] Approve  [3] Reject
`
	got, buttons := RenderCard(c, false)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plain card (-want +got):\n%s", diff)
	}
	var actions []card.Action
	for _, b := range buttons {
		actions = append(actions, b.Action)
	}
	if diff := cmp.Diff([]card.Action{card.ActChooseModule, card.ActApprove, card.ActReject}, actions); diff != "" {
		t.Errorf("button numbering (-want +got):\n%s", diff)
	}
	if strings.Contains(got, "\x1b[") {
		t.Errorf("plain output has ANSI escapes")
	}
	colored, _ := RenderCard(c, true)
	if !strings.Contains(colored, "\x1b[1;32m[2] Approve\x1b[0m") {
		t.Errorf("colored output does not style the primary button:\n%q", colored)
	}
}
