package printable

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line is s on one line with every control character escaped: C0 (line
// breaks and tabs included), DEL and C1 controls as \xNN (ESC is \x1b, so no
// escape sequence survives), Unicode line and paragraph separators and the
// bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069) as \uNNNN, and each byte of invalid UTF-8 as \xNN.
func Line(s string) string { return escape(s, false) }

// Text is s with the controls Line escapes escaped, except that line
// breaks (\n) and tabs stay, for text of several lines.
func Text(s string) string { return escape(s, true) }

func escape(s string, multiline bool) string {
	i := firstUnsafe(s, multiline)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafe(r, multiline) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r, multiline):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the byte index of the first character escape changes, or
// -1, so that text with nothing to escape (nearly all) is not copied.
func firstUnsafe(s string, multiline bool) int {
	for i, r := range s {
		if unsafe(r, multiline) {
			return i
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

func unsafe(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !multiline
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029,
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
