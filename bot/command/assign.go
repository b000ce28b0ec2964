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
// them). A key given twice is an error.
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
		if !p.eat('=') {
			return nil, p.errorf(p.i, "expected = after %q (write %s=value)", Clip(key, 40), Clip(key, 40))
		}
		if spaced > 0 {
			p.skipBlank() // "key = value"; but "key= next=1" leaves key empty
		}
		v, err := p.value()
		if err != nil {
			return nil, err
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
	if p.key() == "" {
		return false
	}
	p.skipBlank()
	return p.eat('=')
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
