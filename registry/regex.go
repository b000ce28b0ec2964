package registry

import (
	"errors"
	"regexp"
	"sync"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Validation conditions are full of can(regex("^...$", var.x)), and go-cty's
// regex and regexall compile their pattern twice per call (once for the
// result type, once to match), which was most of the cost of checking a
// value. regexFunc and regexAllFunc keep that library's behaviour but take
// compiled patterns from a bounded cache. Patterns with capture groups, whose
// results are tuples or objects, are rare in validations and are handed to
// the library unchanged.

// maxCachedPatterns bounds the cache; patterns come from module source, so a
// catalogue needs a few dozen.
const maxCachedPatterns = 512

var patterns = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

// plainPattern returns the compiled pattern when it is valid and has no
// capture groups, so that a match is just the matched text.
func plainPattern(pattern string) (*regexp.Regexp, bool) {
	patterns.Lock()
	re, ok := patterns.m[pattern]
	patterns.Unlock()
	if !ok {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			return nil, false
		}
		patterns.Lock()
		if len(patterns.m) >= maxCachedPatterns {
			clear(patterns.m)
		}
		patterns.m[pattern] = re
		patterns.Unlock()
	}
	return re, re.NumSubexp() == 0
}

var regexParams = []function.Parameter{{Name: "pattern", Type: cty.String}, {Name: "string", Type: cty.String}}

func notNull(b *cty.RefinementBuilder) *cty.RefinementBuilder { return b.NotNull() }

// regexFunc is stdlib.RegexFunc with cached patterns.
var regexFunc = function.New(&function.Spec{
	Params: regexParams,
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].IsKnown() {
			if _, plain := plainPattern(args[0].AsString()); plain {
				return cty.String, nil
			}
		}
		return stdlib.RegexFunc.ReturnTypeForValues(args)
	},
	RefineResult: notNull,
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		if retType == cty.String {
			if re, plain := plainPattern(args[0].AsString()); plain {
				str := args[1].AsString()
				loc := re.FindStringIndex(str)
				if loc == nil {
					return cty.NilVal, errNoMatch
				}
				return cty.StringVal(str[loc[0]:loc[1]]), nil
			}
		}
		return stdlib.RegexFunc.Call(args)
	},
})

// regexAllFunc is stdlib.RegexAllFunc with cached patterns.
var regexAllFunc = function.New(&function.Spec{
	Params: regexParams,
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].IsKnown() {
			if _, plain := plainPattern(args[0].AsString()); plain {
				return cty.List(cty.String), nil
			}
		}
		return stdlib.RegexAllFunc.ReturnTypeForValues(args)
	},
	RefineResult: notNull,
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		if retType == cty.List(cty.String) {
			if re, plain := plainPattern(args[0].AsString()); plain {
				str := args[1].AsString()
				locs := re.FindAllStringIndex(str, -1)
				if len(locs) == 0 {
					return cty.ListValEmpty(cty.String), nil
				}
				elems := make([]cty.Value, len(locs))
				for i, loc := range locs {
					elems[i] = cty.StringVal(str[loc[0]:loc[1]])
				}
				return cty.ListVal(elems), nil
			}
		}
		return stdlib.RegexAllFunc.Call(args)
	},
})

// errNoMatch is the library's error for a regex that does not match.
var errNoMatch = errors.New("pattern did not match any part of the given string")
