package command

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError is a key=value text that cannot be read; Pos is the byte
// offset of the problem.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// MaxAssignments bounds how many key=value pairs one message may set.
const MaxAssignments = 100

// ParseAssignments reads key=value pairs separated by white space (spaces,
// tabs, newlines). A value is one of:
//   - "double quoted", with \" and \\ escapes (chat clients' curly quotes
//     “…” count as double quotes);
//   - 'single quoted', taken literally;
//   - a bracketed [list] or {map}, which may contain spaces and quotes;
//   - otherwise everything up to the next white space.
//
// Spaces around "=" are allowed ("name = logs"); "key=" followed by a space
// is the empty value. Keys are letters, digits,
// "_", "-" and "."; they are returned as typed (the registry normalises
// them). A key of a few words separated by spaces ("Visibility Timeout =
// 60", the way a form labels it) is read only when that assignment has its
// line to itself: on a shared line "a=1 b c=2" the words could as well be a
// value that lost its quotes. A key given twice is an error.
func ParseAssignments(text string) (map[string]string, error) {
	p := &assignParser{s: text}
	out := map[string]string{}
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		start := p.i
		key := p.key()
		if key == "" {
			return nil, p.errorf(start, "expected key=value, found %q", Clip(p.word(), 40))
		}
		spaced := p.i
		p.skipBlank()
		spaced = p.i - spaced
		alone := false // a key of several words, which must have its line to itself
		if !p.eat('=') {
			at := p.i
			words, ok := p.words(start)
			switch {
			case !ok:
				return nil, p.errorf(at, "expected = after %q (write %s=value)", Clip(key, 40), Clip(key, 40))
			case !p.lineStart(start):
				return nil, p.errorf(at, "expected = after %q (write %s=value; a name with spaces like %q works only on a line of its own)",
					Clip(key, 40), Clip(key, 40), Clip(words, 40))
			}
			key, alone, spaced = words, true, 1
		}
		if spaced > 0 {
			p.skipBlank() // "key = value"; but "key= next=1" leaves key empty
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if alone && !p.lineEnds() {
			return nil, p.errorf(p.i, "a name with spaces like %q must be on a line of its own; quote a value that has spaces, or write %s=value on a shared line",
				Clip(key, 40), Clip(snake(key), 40))
		}
		if _, dup := out[key]; dup {
			return nil, p.errorf(start, "%q is given twice", Clip(key, 40))
		}
		if len(out) == MaxAssignments {
			return nil, p.errorf(start, "too many inputs in one message (at most %d)", MaxAssignments)
		}
		out[key] = v
	}
	if len(out) == 0 {
		return nil, &SyntaxError{Msg: "expected key=value"}
	}
	return out, nil
}

// IsAssignment reports whether text starts like key=value, so chat in a
// thread that is not meant as input can be told apart and left alone.
func IsAssignment(text string) bool {
	p := &assignParser{s: text}
	p.skipSpace()
	start := p.i
	if p.key() == "" {
		return false
	}
	p.skipBlank()
	if p.eat('=') {
		return true
	}
	// A key of several words counts only as a whole line that parses, so a
	// sentence with an "=" in it is not taken for input.
	if _, ok := p.words(start); !ok {
		return false
	}
	p.skipBlank()
	if _, err := p.value(); err != nil {
		return false
	}
	return p.lineEnds()
}

// maxKeyWords bounds a key written as words: the longest input labels run
// to four words, and a longer run before "=" is more likely a sentence.
const maxKeyWords = 5

// words reads, from start, a key of two to maxKeyWords words separated by
// spaces or tabs and followed by "=" on the same line. It returns the key
// as typed and leaves p.i after the "="; when there is none, p.i is left
// unchanged.
func (p *assignParser) words(start int) (string, bool) {
	was := p.i
	p.i = start
	end := start
	for n := 1; n <= maxKeyWords; n++ {
		if p.key() == "" {
			break
		}
		end = p.i
		p.skipBlank()
		if p.eat('=') {
			if n > 1 {
				return p.s[start:end], true
			}
			break
		}
	}
	p.i = was
	return "", false
}

// lineStart reports whether only spaces and tabs come before i on its line.
func (p *assignParser) lineStart(i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch p.s[j] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

// lineEnds skips spaces and tabs and reports whether the line ends there.
func (p *assignParser) lineEnds() bool {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
	return p.i == len(p.s) || p.s[p.i] == '\n'
}

// snake is a key of words as one word, for suggesting how to write it on
// a shared line ("Visibility Timeout" → visibility_timeout).
func snake(words string) string {
	return strings.ToLower(strings.Join(strings.Fields(words), "_"))
}

type assignParser struct {
	s string
	i int
}

func (p *assignParser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

func (p *assignParser) skipSpace() {
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if !isSpace(r) {
			return
		}
		p.i += n
	}
}

// skipBlank skips spaces and tabs but not newlines: "key =\nvalue" is two lines.
func (p *assignParser) skipBlank() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *assignParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func (p *assignParser) key() string {
	start := p.i
	for p.i < len(p.s) && isKeyByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// word returns the rest of the current whitespace-delimited word (for errors).
func (p *assignParser) word() string {
	rest := p.s[p.i:]
	if j := strings.IndexFunc(rest, isSpace); j >= 0 {
		return rest[:j]
	}
	return rest
}

const (
	leftCurly  = '“'
	rightCurly = '”'
)

func (p *assignParser) value() (string, error) {
	if p.i >= len(p.s) {
		return "", nil
	}
	r, n := utf8.DecodeRuneInString(p.s[p.i:])
	switch {
	case r == '"' || r == leftCurly || r == rightCurly:
		return p.doubleQuoted(n)
	case r == '\'' || r == '‘' || r == '’':
		return p.singleQuoted(r, n)
	case r == '[' || r == '{':
		return p.bracketed()
	case isSpace(r):
		return "", nil // key= with nothing after: the empty value
	}
	start := p.i
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if isSpace(r) {
			break
		}
		p.i += n
	}
	return p.s[start:p.i], nil
}

func (p *assignParser) doubleQuoted(n int) (string, error) {
	start := p.i
	p.i += n
	var b strings.Builder
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		p.i += n
		switch r {
		case '"', leftCurly, rightCurly:
			return b.String(), nil
		case '\\':
			if p.i < len(p.s) {
				r, n := utf8.DecodeRuneInString(p.s[p.i:])
				p.i += n
				switch r {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteRune(r)
				}
				continue
			}
		}
		b.WriteRune(r)
	}
	return "", p.errorf(start, "unterminated quoted value")
}

func (p *assignParser) singleQuoted(open rune, n int) (string, error) {
	start := p.i
	p.i += n
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if r == '\'' || (open != '\'' && (r == '’' || r == '‘')) {
			v := p.s[start+len(string(open)) : p.i]
			p.i += n
			return v, nil
		}
		p.i += n
	}
	return "", p.errorf(start, "unterminated quoted value")
}

// bracketed reads a balanced [..] or {..} value, skipping brackets inside
// double-quoted strings.
func (p *assignParser) bracketed() (string, error) {
	start := p.i
	depth := 0
	inStr := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case inStr && c == '\\':
			p.i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				if p.i > len(p.s) {
					p.i = len(p.s)
				}
				return p.s[start:p.i], nil
			}
		}
	}
	return "", p.errorf(start, "unbalanced brackets in value")
}
