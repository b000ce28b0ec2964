package registry

import (
	"fmt"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// callText is a function call's result or error, as text to compare.
func callText(f function.Function, args ...cty.Value) string {
	v, err := f.Call(args)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%#v", v)
}

func TestCachedRegexMatchesLibrary(t *testing.T) {
	str := cty.StringVal
	patterns := []cty.Value{
		str("^[a-z0-9][a-z0-9-]*[a-z0-9]$"), str("^arn:aws:kms:"), str("[0-9]+"), str(""), str("x*"),
		str("^([a-z]+)-([0-9]+)$"), str("(?P<name>[a-z]+)-(?P<num>[0-9]+)"), str("(a)|(b)"), str("(a)(?P<x>b)"),
		str("[unclosed"), str("(?<bad"), cty.UnknownVal(cty.String), cty.NullVal(cty.String),
	}
	inputs := []cty.Value{
		str("orders"), str("Orders"), str("-x-"), str(""), str("abc-123 def-45"), str("arn:aws:kms:eu-west-1:1:key/x"),
		str("ünï-7"), str("b"), cty.UnknownVal(cty.String), cty.NullVal(cty.String),
	}
	for _, p := range patterns {
		for _, s := range inputs {
			for _, f := range []struct {
				name        string
				lib, cached function.Function
			}{{"regex", stdlib.RegexFunc, regexFunc}, {"regexall", stdlib.RegexAllFunc, regexAllFunc}} {
				// Twice, so that the second call is served from the cache.
				for range 2 {
					if got, want := callText(f.cached, p, s), callText(f.lib, p, s); got != want {
						t.Errorf("%s(%#v, %#v) = %s, library gives %s", f.name, p, s, got, want)
					}
				}
			}
		}
	}
}

func TestPatternCacheIsBounded(t *testing.T) {
	for i := range maxCachedPatterns + 10 {
		plainPattern(fmt.Sprintf("^x%d$", i))
	}
	patterns.Lock()
	n := len(patterns.m)
	patterns.Unlock()
	if n > maxCachedPatterns {
		t.Errorf("cache holds %d patterns, bound is %d", n, maxCachedPatterns)
	}
}
