package registry

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HCL's parser and evaluator recurse once per level of nesting and once
// per operator of a chain, on the goroutine's stack: a file of a few
// hundred kilobytes of "[", "(", "!" or "1+" overflows Go's 1 GB stack, a
// fatal error that no recover catches. The files the bot parses come from
// the environment repository (the catalogue's modules, request files read
// before an approval carries over), so anyone who can merge there could
// crash every replica, again at each restart. A file is therefore refused,
// unparsed, when at some point of it the brackets, parentheses, quotes,
// heredocs and template sequences open, plus the operators and template
// directives so far, are more than maxLevels: far beyond what a module or
// a request file holds (the largest module here reaches about 700 in all).
const maxLevels = 4096

// levelBytes are the bytes of which every token tooComplex counts holds at
// least one ("==" and "<<" included).
const levelBytes = `{[("<>=!-+*/%&|?`

// tooComplex says how src goes past maxLevels ("" when it does not), and
// where. A file with no more than maxLevels of levelBytes cannot, and is
// not lexed.
func tooComplex(src []byte, path string) (why string, at hcl.Range) {
	n := 0
	for _, b := range src {
		if strings.IndexByte(levelBytes, b) >= 0 {
			n++
		}
	}
	if n <= maxLevels {
		return "", hcl.Range{}
	}
	toks, _ := hclsyntax.LexConfig(src, path, hcl.InitialPos)
	depth, ops := 0, 0
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp:
			depth++
		case hclsyntax.TokenTemplateControl:
			depth++
			ops++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			depth = max(0, depth-1)
		case hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenPercent,
			hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
			hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenAnd, hclsyntax.TokenOr,
			hclsyntax.TokenBang, hclsyntax.TokenQuestion:
			ops++
		}
		if depth+ops > maxLevels {
			return fmt.Sprintf("nests brackets, quotes, templates and operators more than %d deep", maxLevels), t.Range
		}
	}
	return "", hcl.Range{}
}
