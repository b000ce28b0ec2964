package registry

import (
	"strings"
	"unicode"

	"github.com/agext/levenshtein"
)

// normalizeKey maps the ways a person writes a field name onto Terraform's
// snake_case: "visibilityTimeout", "visibility-timeout", "Visibility Timeout"
// and "visibility_timeout" all become "visibility_timeout"; runs of capitals
// are one word ("KMSKeyID" → "kms_key_id").
func normalizeKey(s string) string {
	if isSnakeCase(s) {
		return s // the usual case, and its own normal form
	}
	return normalizeRunes(s)
}

// isSnakeCase reports whether s is already what normalizeKey makes: runs of
// lowercase ASCII letters and digits joined by single underscores.
func isSnakeCase(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_' && s[i-1] != '_':
		default:
			return false
		}
	}
	return true
}

// normalizeRunes is normalizeKey for any text.
func normalizeRunes(s string) string {
	rs := []rune(strings.TrimSpace(s))
	var b strings.Builder
	b.Grow(len(s) + 4)
	sep := false // a separator is pending
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			sep = b.Len() > 0
			continue
		}
		if unicode.IsUpper(r) && i > 0 && b.Len() > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				sep = true
			}
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// squashKey is normalizeKey without separators, so that "versioningenabled"
// still finds versioning_enabled when that is unambiguous.
func squashKey(s string) string { return strings.ReplaceAll(normalizeKey(s), "_", "") }

// lookup finds the user input a raw key names: by its normal form, without
// separators, or as the leading whole words of exactly one user input's name
// ("visibilityTimeout" → visibility_timeout_seconds, "fifo" → fifo_queue),
// so people need not type units and suffixes. An ambiguous prefix names none.
func (m *Module) lookup(raw string) (*Input, bool) {
	key := normalizeKey(raw)
	if in, ok := m.byKey[key]; ok {
		return in, true
	}
	if in, ok := m.squash[squashKey(raw)]; ok {
		return in, true
	}
	if key == "" {
		return nil, false
	}
	var found *Input
	for _, in := range m.Inputs {
		if in.System || !strings.HasPrefix(in.Name, key+"_") {
			continue
		}
		if found != nil {
			return nil, false
		}
		found = in
	}
	return found, found != nil
}

// unknownKeyReason explains an unknown key, suggesting the closest input.
func (m *Module) unknownKeyReason(raw string) string {
	if s := m.suggest(raw); s != "" {
		return "unknown input; did you mean " + s + "?"
	}
	names := make([]string, 0, len(m.Inputs))
	for _, in := range m.UserInputs() {
		names = append(names, in.Name)
	}
	if len(names) == 0 {
		return "unknown input; module " + m.Name + " takes no inputs"
	}
	return "unknown input; inputs are: " + strings.Join(names, ", ")
}

// suggest returns the user input closest to raw, or "" when none is close
// (see Closest).
func (m *Module) suggest(raw string) string {
	names := make([]string, 0, len(m.Inputs))
	for _, in := range m.Inputs {
		if !in.System {
			names = append(names, in.Name)
		}
	}
	return Closest(raw, names)
}

// Closest returns the name in names that typed most likely meant, for a
// "did you mean": both compared in normal form (so case, "-", "_", spaces
// and camelCase do not count: "Prod" is prod, "s3bucket" s3-bucket), at an
// edit distance of at most a third of the name (minimum 2), or with typed a
// whole word of the name ("versioning" → versioning_enabled, "bucket" →
// s3-bucket). It returns "" when none is close; of equally close names, the
// first.
func Closest(typed string, names []string) string {
	key := normalizeKey(typed)
	if key == "" {
		return ""
	}
	best, bestDist := "", 1<<30
	for _, name := range names {
		norm := normalizeKey(name)
		limit := max(2, len(norm)/3)
		d := limit + 1
		if abs(len(key)-len(norm)) <= limit { // else the distance is over the limit
			d = levenshtein.Distance(key, norm, nil)
		}
		if d > limit && len(key) >= 3 && containsWord(norm, key) {
			d = limit // a whole word of the name is as good as a near miss
		}
		if d <= limit && d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// containsWord reports whether key is a run of whole "_"-separated words of name.
func containsWord(name, key string) bool {
	return strings.Contains("_"+name+"_", "_"+key+"_")
}
