package command

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Command
		wantErr bool
	}{
		{"", Command{Verb: VerbStart}, false},
		{"  help ", Command{Verb: VerbHelp}, false},
		{"new s3-bucket", Command{Verb: VerbNew, Module: "s3-bucket"}, false},
		{"new s3-bucket env=prod project=data name=logs versioning_enabled=false",
			Command{Verb: VerbNew, Module: "s3-bucket", Environment: "prod", Project: "data",
				Inputs: map[string]string{"name": "logs", "versioning_enabled": "false"}}, false},
		{`new sqs-queue environment=dev tags={"team":"a b"}`, Command{Verb: VerbNew, Module: "sqs-queue", Environment: "dev",
			Inputs: map[string]string{"tags": `{"team":"a b"}`}}, false},
		{"new", Command{}, true},
		{"new name=x", Command{}, true},
		{"new s3-bucket name", Command{}, true},
		// Two spellings of one setting: map order must not pick the environment.
		{"new s3-bucket env=dev environment=prod name=x", Command{}, true},
		{"new s3-bucket ENV=dev env=prod", Command{}, true},
		{"new s3-bucket Project=a project=b", Command{}, true},
		{"new s3-bucket ENV=dev Project=a", Command{Verb: VerbNew, Module: "s3-bucket", Environment: "dev", Project: "a"}, false},
		{"list", Command{Verb: VerbList}, false},
		{"list mine", Command{Verb: VerbList}, false},
		{"LIST all", Command{Verb: VerbList, All: true}, false},
		{"list everything", Command{}, true},
		{"status 0a1b2c3d4e5f", Command{Verb: VerbStatus, ID: "0a1b2c3d4e5f"}, false},
		{"approve abc", Command{Verb: VerbApprove, ID: "abc"}, false},
		{"reject abc", Command{Verb: VerbReject, ID: "abc"}, false},
		{"apply abc", Command{Verb: VerbApply, ID: "abc"}, false},
		{"replan abc", Command{Verb: VerbReplan, ID: "abc"}, false},
		{"cancel abc", Command{Verb: VerbCancel, ID: "abc"}, false},
		{"destroy abc", Command{Verb: VerbDestroy, ID: "abc"}, false},
		{"approve", Command{}, true},
		{"approve a b", Command{}, true},
		{"status " + strings.Repeat("a", 65), Command{}, true},
		{"status " + strings.Repeat("a", 64), Command{Verb: VerbStatus, ID: strings.Repeat("a", 64)}, false},
		{"modules", Command{Verb: VerbModules}, false},
		{"modules data", Command{Verb: VerbModules, Project: "data"}, false},
		{"frobnicate", Command{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			var ue *UsageError
			if tt.wantErr != errors.As(err, &ue) || (err != nil && ue == nil) {
				t.Fatalf("Parse(%q) error = %v, want usage error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseAssignments(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"name=logs", map[string]string{"name": "logs"}, false},
		{"name = logs\nexpiration_days=30", map[string]string{"name": "logs", "expiration_days": "30"}, false},
		{`description="two words" x='a "b"'`, map[string]string{"description": "two words", "x": `a "b"`}, false},
		{`d=“curly quotes”`, map[string]string{"d": "curly quotes"}, false},
		{`esc="a\"b\\c"`, map[string]string{"esc": `a"b\c`}, false},
		{`l=["a", "b c"] m={"k": "v}"}`, map[string]string{"l": `["a", "b c"]`, "m": `{"k": "v}"}`}, false},
		{"subnets=a,b,c", map[string]string{"subnets": "a,b,c"}, false},
		{"empty= next=1", map[string]string{"empty": "", "next": "1"}, false},
		{"Visibility Timeout = 60", map[string]string{"Visibility Timeout": "60"}, false},
		{"Visibility Timeout=60", map[string]string{"Visibility Timeout": "60"}, false},
		{"  Receive Wait Time Seconds =\t20  ", map[string]string{"Receive Wait Time Seconds": "20"}, false},
		{"name=logs\nVisibility Timeout = 60\r\nfifo=yes", map[string]string{"name": "logs", "Visibility Timeout": "60", "fifo": "yes"}, false},
		{`Description = "two words"`, map[string]string{"Description": "two words"}, false},
		{"Visibility Timeout =\nname=x", map[string]string{"Visibility Timeout": "", "name": "x"}, false},
		{"a=1 b=2", map[string]string{"a": "1", "b": "2"}, false},
		{"Visibility Timeout = 60 name=x", nil, true},
		{"name=x Visibility Timeout = 60", nil, true},
		{"name=my bucket", nil, true},
		{"one two three four five six = x", nil, true},
		{"a=1 a=2", nil, true},
		{"just words", nil, true},
		{`q="open`, nil, true},
		{"l=[1,2", nil, true},
		{"", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAssignments(tt.in)
			var se *SyntaxError
			if tt.wantErr != errors.As(err, &se) || (err != nil && se == nil) {
				t.Fatalf("ParseAssignments(%q) error = %v, want syntax error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseAssignments(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestParseAssignmentsErrors checks what the person is told.
func TestParseAssignmentsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"name=my bucket", `expected = after "bucket" (write bucket=value)`},
		{"env=dev Visibility Timeout = 60", `expected = after "Visibility" (write Visibility=value; a name with spaces like "Visibility Timeout" works only on a line of its own)`},
		{"Visibility Timeout = 60 name=x", `a name with spaces like "Visibility Timeout" must be on a line of its own; quote a value that has spaces, or write visibility_timeout=value on a shared line`},
		{"Visibility Timeout = my queue", `a name with spaces like "Visibility Timeout" must be on a line of its own; quote a value that has spaces, or write visibility_timeout=value on a shared line`},
	}
	for _, tt := range tests {
		_, err := ParseAssignments(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseAssignments(%q) error = %v, want a syntax error", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, se.Msg); diff != "" {
			t.Errorf("ParseAssignments(%q) message (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestIsAssignment(t *testing.T) {
	tests := map[string]bool{"name=x": true, "  name = x": true, "thanks!": false, "a b=c": true, "": false, "=x": false,
		"Visibility Timeout = 60": true, "Visibility Timeout = 60\nname=x": true, "I think a = b because": false,
		"so a b=c d": false, "one two three four five six = x": false, `Some Note = "open`: false}
	for in, want := range tests {
		if got := IsAssignment(in); got != want {
			t.Errorf("IsAssignment(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestParseClipsEchoes: text quoted back in an error is clipped, so a
// pasted 100 KB word is not echoed whole.
func TestParseClipsEchoes(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	for _, in := range []string{"status " + long, "approve a " + long, "list " + long, long, "new m " + long, "new m a=1 " + long + "=2 " + long + "=3"} {
		_, err := Parse(in)
		if err == nil || len(err.Error()) > 200 {
			t.Errorf("Parse(%.20q…) error = %.300q, want one of at most 200 bytes", in, err)
		}
	}
}

func TestHelpNamesEveryVerb(t *testing.T) {
	h := Help()
	for v, name := range verbNames {
		if v == VerbStart {
			continue
		}
		if !strings.Contains(h, "/tfpilot "+name) {
			t.Errorf("help does not mention %q", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "new s3-bucket env=dev name=x", `new m tags={"a":"b c"}`, "list all", "approve 0a1b", `new m d="x\"y"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) returned a non-usage error %T", s, err)
			}
			return
		}
		if c.Verb < VerbStart || c.Verb > VerbHelp {
			t.Fatalf("Parse(%q) returned verb %d", s, c.Verb)
		}
	})
}

func FuzzParseAssignments(f *testing.F) {
	for _, s := range []string{"name=logs", "a = 1\nb=2", `x="q\"" y='z'`, `l=["a",{"b":"]"}]`, "d=“x”"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kv, err := ParseAssignments(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseAssignments(%q) returned %T", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("ParseAssignments(%q): position %d out of range", s, se.Pos)
			}
			return
		}
		if len(kv) == 0 || len(kv) > MaxAssignments {
			t.Fatalf("ParseAssignments(%q) = %d pairs", s, len(kv))
		}
		for k := range kv {
			if k == "" || !IsAssignment(k+"=") {
				t.Fatalf("ParseAssignments(%q): bad key %q", s, k)
			}
		}
	})
}
