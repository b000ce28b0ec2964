package registry

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Load decodes every variable, validation and output block against a schema.
// hclsyntax's Body.Content allocates several maps per call to track what the
// schema consumed, only to find, in a module that follows the rules, nothing
// left to complain about; that was a tenth of Load's garbage. bodyContent and
// rootContent check cheaply that a body conforms and then build the same
// BodyContent directly; a body that does not conform goes through hclsyntax,
// so every diagnostic stays exactly its own.

// bodyContent is body.Content(schema).
func bodyContent(body hcl.Body, schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || !conforms(sb, schema, false) {
		return body.Content(schema)
	}
	return directContent(sb, schema), nil
}

// rootContent is body.PartialContent(schema) without the remaining body.
func rootContent(body hcl.Body, schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || !conforms(sb, schema, true) {
		content, _, ds := body.PartialContent(schema)
		return content, ds
	}
	return directContent(sb, schema), nil
}

// conforms reports whether decoding sb against schema yields no diagnostic:
// every required argument is there, every block of a schema type has the
// schema's number of labels and, unless partial, nothing else is there.
// sb must come straight from the parser (it has nothing hidden).
func conforms(sb *hclsyntax.Body, schema *hcl.BodySchema, partial bool) bool {
	if !partial {
		for name := range sb.Attributes {
			if !slices.ContainsFunc(schema.Attributes, func(a hcl.AttributeSchema) bool { return a.Name == name }) {
				return false
			}
		}
	}
	for _, a := range schema.Attributes {
		if _, ok := sb.Attributes[a.Name]; a.Required && !ok {
			return false
		}
	}
	for _, b := range sb.Blocks {
		i := slices.IndexFunc(schema.Blocks, func(s hcl.BlockHeaderSchema) bool { return s.Type == b.Type })
		switch {
		case i < 0 && partial:
		case i < 0, len(b.Labels) != len(schema.Blocks[i].LabelNames):
			return false
		}
	}
	return true
}

// directContent is what hclsyntax's PartialContent returns for a body that
// conforms: the schema's attributes, the blocks of schema types in source
// order.
func directContent(sb *hclsyntax.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c := &hcl.BodyContent{Attributes: make(hcl.Attributes, len(sb.Attributes)), MissingItemRange: sb.MissingItemRange()}
	for _, a := range schema.Attributes {
		if attr, ok := sb.Attributes[a.Name]; ok {
			c.Attributes[a.Name] = attr.AsHCLAttribute()
		}
	}
	for _, b := range sb.Blocks {
		if slices.ContainsFunc(schema.Blocks, func(s hcl.BlockHeaderSchema) bool { return s.Type == b.Type }) {
			c.Blocks = append(c.Blocks, b.AsHCLBlock())
		}
	}
	return c
}

// quotedLiteral returns the value of a quoted string without interpolation,
// such as a description: a template of one literal part evaluates to that
// part's string, so there is nothing to evaluate.
func quotedLiteral(expr hcl.Expression) (cty.Value, bool) {
	t, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok || len(t.Parts) != 1 {
		return cty.NilVal, false
	}
	lit, ok := t.Parts[0].(*hclsyntax.LiteralValueExpr)
	if !ok || lit.Val.Type() != cty.String || !lit.Val.IsKnown() || lit.Val.IsNull() || lit.Val.IsMarked() {
		return cty.NilVal, false
	}
	return lit.Val, true
}
