package printable

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineAndText(t *testing.T) {
	tests := []struct {
		name, in, line, text string
	}{
		{"plain", "aws_s3_bucket.logs[\"a b\"]", "aws_s3_bucket.logs[\"a b\"]", "aws_s3_bucket.logs[\"a b\"]"},
		{"unicode stays", "module.ü.x — é 日本 👍", "module.ü.x — é 日本 👍", "module.ü.x — é 日本 👍"},
		{"escape sequence", "a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"OSC title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`, `\x1b]0;pwned\x07`},
		{"C1 CSI", "a\u009b2Jb", `a\x9b2Jb`, `a\x9b2Jb`},
		{"DEL and NUL", "a\x7f\x00", `a\x7f\x00`, `a\x7f\x00`},
		{"line breaks", "a\nb\r\tc", `a\x0ab\x0d\x09c`, "a\nb\\x0d\tc"},
		{"bidi override", "x.\u202egnp.exe", `x.\u202egnp.exe`, `x.\u202egnp.exe`},
		{"bidi isolates and marks", "\u2066\u2069\u200e\u200f\u061c", `\u2066\u2069\u200e\u200f\u061c`, `\u2066\u2069\u200e\u200f\u061c`},
		{"line separator", "a\u2028b", `a\u2028b`, `a\u2028b`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`, `a\xffb\xc3`},
		{"replacement char stays", "a\uFFFDb", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.line, Line(tt.in)); diff != "" {
				t.Errorf("Line(%q) (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.text, Text(tt.in)); diff != "" {
				t.Errorf("Text(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzLine: whatever comes in, nothing that a terminal acts on goes out.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"aws_s3_bucket.x", "\x1b[2J", "\u202e", "\xff", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Text(s)} {
			if i := firstUnsafe(out, true); i >= 0 {
				t.Fatalf("%q escapes to %q, which keeps %q", s, out, out[i:])
			}
		}
		if i := firstUnsafe(Line(s), false); i >= 0 {
			t.Fatalf("Line(%q) = %q keeps a line break", s, Line(s))
		}
	})
}
