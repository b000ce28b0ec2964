package registry

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// attr is one argument of the rendered module block.
type attr struct {
	name string
	val  cty.Value
	cols int // width of name for alignment, once known (see columns)
}

// writeModuleBlock writes `module "<label>" { ... }` with the system
// arguments, a blank line, then the user arguments, exactly as
// hclwrite.File.Bytes would lay it out (that is, as terraform fmt does).
//
// hclwrite re-formats the whole file on every Bytes call and counts the
// grapheme clusters of every token through a fresh bufio.Scanner, which was
// most of Render's time and memory. The block has a fixed shape, so it is
// written directly instead: each scalar still goes through
// hclwrite.TokensForValue (which owns the escaping of "${", "%{", quotes and
// control characters) and only the layout is done here. Values of a shape
// this layout does not cover (an object or a collection nested inside a
// collection, which only JSON input produces) take the hclwrite path.
func writeModuleBlock(b *strings.Builder, label string, system, user []attr) {
	for _, a := range user {
		if !flatValue(a.val) {
			writeModuleBlockHCLWrite(b, label, system, user)
			return
		}
	}
	b.WriteString("module \"")
	b.WriteString(label)
	b.WriteString("\" {\n")
	writeAttrs(b, system, 2)
	if len(user) > 0 {
		b.WriteString("\n")
		writeAttrs(b, user, 2)
	}
	b.WriteString("}\n")
}

// writeModuleBlockHCLWrite is writeModuleBlock by way of an hclwrite.File.
func writeModuleBlockHCLWrite(b *strings.Builder, label string, system, user []attr) {
	f := hclwrite.NewEmptyFile()
	body := f.Body().AppendNewBlock("module", []string{label}).Body()
	for _, a := range system {
		body.SetAttributeValue(a.name, a.val)
	}
	for i, a := range user {
		if i == 0 {
			body.AppendNewline()
		}
		body.SetAttributeRaw(a.name, literalTokens(a.val))
	}
	b.Write(f.Bytes())
}

// flatValue reports whether writeAttrs lays v out: a scalar, a list, set or
// tuple of scalars, or a map or object whose elements are scalars or
// collections of scalars.
func flatValue(v cty.Value) bool {
	ty := v.Type()
	switch {
	case v.IsNull() || ty.IsPrimitiveType():
		return true
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); !inlineValue(e) {
				return false
			}
		}
		return true
	}
	return inlineValue(v)
}

// inlineValue reports whether v is written on one line: a scalar, a list,
// set or tuple of scalars, or an empty map or object.
func inlineValue(v cty.Value) bool {
	ty := v.Type()
	switch {
	case v.IsNull() || ty.IsPrimitiveType():
		return true
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); !e.IsNull() && !e.Type().IsPrimitiveType() {
				return false
			}
		}
		return true
	case ty.IsMapType() || ty.IsObjectType():
		return v.LengthInt() == 0
	}
	return false
}

// writeAttrs writes name = value lines at the given indent. Like terraform
// fmt, it aligns the "=" of consecutive one-line arguments; an argument whose
// value spans lines (a non-empty map or object) ends the run, is not
// aligned, and its elements are aligned among themselves one level deeper.
func writeAttrs(b *strings.Builder, attrs []attr, indent int) {
	for start := 0; start < len(attrs); {
		if multiLine(attrs[start].val) {
			a := attrs[start]
			writeIndent(b, indent)
			b.WriteString(a.name)
			b.WriteString(" = {\n")
			elems := make([]attr, 0, a.val.LengthInt())
			for it := a.val.ElementIterator(); it.Next(); { // sorted by key
				k, e := it.Element()
				name, cols := keyText(k.AsString())
				elems = append(elems, attr{name: name, val: e, cols: cols})
			}
			writeAttrs(b, elems, indent+2)
			writeIndent(b, indent)
			b.WriteString("}\n")
			start++
			continue
		}
		end, width := start, 0
		for ; end < len(attrs) && !multiLine(attrs[end].val); end++ {
			if attrs[end].cols == 0 {
				attrs[end].cols = columns(attrs[end].name)
			}
			width = max(width, attrs[end].cols)
		}
		for _, a := range attrs[start:end] {
			writeIndent(b, indent)
			b.WriteString(a.name)
			writeIndent(b, width-a.cols+1)
			b.WriteString("= ")
			writeInline(b, a.val)
			b.WriteByte('\n')
		}
		start = end
	}
}

// multiLine reports whether a flat value is written over several lines.
func multiLine(v cty.Value) bool {
	ty := v.Type()
	return !v.IsNull() && (ty.IsMapType() || ty.IsObjectType()) && v.LengthInt() > 0
}

// writeInline writes a value accepted by inlineValue.
func writeInline(b *strings.Builder, v cty.Value) {
	ty := v.Type()
	switch {
	case !v.IsNull() && ty == cty.Number:
		b.WriteString(numberText(v.AsBigFloat()))
	case !v.IsNull() && ty == cty.String && plainString(v.AsString()):
		b.WriteByte('"')
		b.WriteString(v.AsString())
		b.WriteByte('"')
	case v.IsNull() || ty.IsPrimitiveType():
		for _, t := range hclwrite.TokensForValue(v) {
			writeIndent(b, t.SpacesBefore)
			b.Write(t.Bytes)
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		b.WriteByte('[')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			if !first {
				b.WriteString(", ")
			}
			first = false
			_, e := it.Element()
			writeInline(b, e)
		}
		b.WriteByte(']')
	default: // an empty map or object
		b.WriteString("{}")
	}
}

// plainString reports whether hclwrite writes s between quotes unchanged:
// printable ASCII without a quote, a backslash or a template introducer
// ("$" and "%" are left to hclwrite, which doubles them before "{").
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '$' || c == '%' {
			return false
		}
	}
	return true
}

// keyText is a map or object key as keyTokens writes it, and its width as
// hclwrite measures it: token by token, so that a quote is never counted
// together with a combining mark that follows it.
func keyText(k string) (string, int) {
	if asciiIdentifier(k) && !keywordKey(k) {
		return k, len(k)
	}
	toks := keyTokens(k)
	var sb strings.Builder
	ascii := true
	for _, t := range toks {
		sb.Write(t.Bytes)
		for _, c := range t.Bytes {
			ascii = ascii && c < 0x80
		}
	}
	if ascii {
		return sb.String(), sb.Len()
	}
	return sb.String(), toks.Columns()
}

// asciiIdentifier reports whether k is an HCL identifier made of ASCII only:
// a letter or underscore, then letters, digits, underscores and hyphens.
// hclsyntax.ValidIdentifier says the same of it, by lexing it.
func asciiIdentifier(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

// columns is how wide terraform fmt considers an argument name, in grapheme
// clusters: one a byte for ASCII, otherwise counted the way hclwrite counts.
func columns(name string) int {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte(name)}}.Columns()
		}
	}
	return len(name)
}

const spaces = "                                                                "

func writeIndent(b *strings.Builder, n int) {
	for n > len(spaces) {
		b.WriteString(spaces)
		n -= len(spaces)
	}
	b.WriteString(spaces[:n])
}
