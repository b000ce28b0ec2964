package registry

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The text of a list or a map of primitives, as a person types it in a
// form field or a key=value reply, comes in a few shapes that all mean the
// same:
//
//	a, b, c             team=payments, tier=gold
//	[a, b, c]           {team=payments, tier="gold plus"}
//	["a", "b", "c"]     {"team"="payments"}  {"team": "payments"}  {team: payments}
//
// Items are separated by commas or line breaks (a multi-line form field
// holds one per line); blank lines are skipped, and inside brackets a
// trailing comma is allowed, as in HCL and JSON. An item in double quotes
// (chat clients' curly quotes count) may hold commas, "=", ":" and line
// breaks, with \" \\ \n \t \r \uXXXX escapes; an item not starting with a
// quote is taken as it is, surrounding spaces trimmed. A map item's key and
// value are separated by its first "=" outside quotes or, when it has none,
// its first ":" (so the tag key company:team=payments keeps its colon).

// isQuote reports whether r opens or closes a double-quoted item.
func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' }

// splitItems splits the text of a list (open '[') or map (open '{') into
// its items, trimmed, quotes kept. An empty item between two commas is
// returned as "" for the caller to refuse with its own example.
func splitItems(s string, open, close byte) ([]string, error) {
	s = strings.TrimSpace(s)
	bracketed := false
	if s != "" && s[0] == open {
		if s[len(s)-1] != close {
			return nil, badValue("starts with %c but does not end with %c", open, close)
		}
		s, bracketed = s[1:len(s)-1], true
	}
	type piece struct {
		text        string
		before, end byte // the separators around it: ',', '\n' or 0 (start, end)
	}
	var pieces []piece
	var before byte
	start, inQuote := 0, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case inQuote && r == '\\':
			_, m := utf8.DecodeRuneInString(s[i+n:])
			n += m
		case isQuote(r):
			inQuote = !inQuote
		case !inQuote && (r == ',' || r == '\n'):
			pieces = append(pieces, piece{strings.TrimSpace(s[start:i]), before, byte(r)})
			before, start = byte(r), i+n
		}
		i += n
	}
	if inQuote {
		return nil, badValue("has a quote that is not closed")
	}
	pieces = append(pieces, piece{strings.TrimSpace(s[start:]), before, 0})
	items := make([]string, 0, len(pieces))
	for i, p := range pieces {
		if p.text == "" {
			blankLine := p.before == '\n' || p.end == '\n' || p.before == 0 && p.end == 0
			trailing := bracketed && i == len(pieces)-1 && p.before == ','
			if blankLine || trailing {
				continue
			}
		}
		items = append(items, p.text)
	}
	return items, nil
}

// cutItem splits a map item at its first "=" outside quotes or, when it has
// none, its first ":"; ok is false when it has neither.
func cutItem(item string) (key, value string, ok bool) {
	colon := -1
	inQuote := false
	for i := 0; i < len(item); {
		r, n := utf8.DecodeRuneInString(item[i:])
		switch {
		case inQuote && r == '\\':
			_, m := utf8.DecodeRuneInString(item[i+n:])
			n += m
		case isQuote(r):
			inQuote = !inQuote
		case !inQuote && r == '=':
			return strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+n:]), true
		case !inQuote && r == ':' && colon < 0:
			colon = i
		}
		i += n
	}
	if colon < 0 {
		return "", "", false
	}
	return strings.TrimSpace(item[:colon]), strings.TrimSpace(item[colon+1:]), true
}

// unquote returns the text an item stands for: a double-quoted item without
// its quotes and with its escapes decoded, any other item as it is.
func unquote(item string) (string, error) {
	r, n := utf8.DecodeRuneInString(item)
	if !isQuote(r) {
		return item, nil
	}
	var b strings.Builder
	for i := n; i < len(item); {
		r, n := utf8.DecodeRuneInString(item[i:])
		i += n
		switch {
		case isQuote(r):
			if i != len(item) {
				return "", badValue("%q has text after its closing quote; quote the whole item", clip(item))
			}
			return b.String(), nil
		case r == '\\' && i < len(item):
			e, m := utf8.DecodeRuneInString(item[i:])
			i += m
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u':
				if i+4 > len(item) {
					return "", badValue("%q has a \\u escape without four hex digits", clip(item))
				}
				c, err := strconv.ParseUint(item[i:i+4], 16, 32)
				if err != nil {
					return "", badValue("%q has a \\u escape without four hex digits", clip(item))
				}
				b.WriteRune(rune(c))
				i += 4
			default:
				b.WriteRune(e) // \" \\ \/ and the curly quotes
			}
		default:
			b.WriteRune(r)
		}
	}
	return "", badValue("has a quote that is not closed")
}

// itemText writes s as an item that splitItems and unquote read back as s:
// bare when that is unambiguous, else double-quoted. special lists what
// besides separators and quotes needs quoting ("=" in a map key); empty
// says whether the empty text may stay bare.
func itemText(s, special string, empty bool) string {
	needs := s == "" && !empty ||
		s != strings.TrimSpace(s) ||
		strings.ContainsAny(s, ",\n\r\"“”"+special) ||
		strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{")
	if !needs {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\', '"', '“', '”':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
