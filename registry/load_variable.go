package registry

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// variable reads one variable block into an Input: type, default,
// sensitivity, nullability and its validations.
func (l *moduleLoader) variable(b *hcl.Block) {
	name := b.Labels[0]
	file, line := b.DefRange.Filename, b.DefRange.Start.Line
	if _, dup := l.mod.Input(name); dup {
		l.add(file, line, "variable %q is declared twice", name)
		return
	}
	content, ds := bodyContent(b.Body, variableSchema)
	l.addHCL(ds)
	in := &Input{
		Name: name, File: file, Line: line, System: isSystem(name),
		Type: cty.DynamicPseudoType, TypeExpr: "any",
		Description: l.stringAttr(content.Attributes, "description"),
		Sensitive:   l.boolAttr(content.Attributes, "sensitive", false),
		Nullable:    l.boolAttr(content.Attributes, "nullable", true),
	}
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, ds := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.addHCL(ds)
		if !ds.HasErrors() {
			in.Type, in.defaults, in.TypeExpr = ty, defaults, strings.TrimSpace(l.text(a.Expr.Range()))
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		in.HasDefault = true
		v, ds := a.Expr.Value(nil)
		l.addHCL(ds)
		if !ds.HasErrors() {
			if in.defaults != nil && !v.IsNull() {
				v = in.defaults.Apply(v)
			}
			cv, err := convert.Convert(v, in.Type)
			if err != nil {
				l.add(file, a.Range.Start.Line, "default of %s does not match its type %s: %v", name, in.TypeExpr, err)
			}
			in.Default = cv
		}
	}
	in.Required = !in.HasDefault
	for _, vb := range content.Blocks {
		l.validation(in, vb)
	}
	l.mod.Inputs = append(l.mod.Inputs, in)
}

func (l *moduleLoader) validation(in *Input, b *hcl.Block) {
	content, ds := bodyContent(b.Body, validationSchema)
	l.addHCL(ds)
	if ds.HasErrors() {
		return
	}
	v := Validation{File: b.DefRange.Filename, Line: b.DefRange.Start.Line}
	cond := content.Attributes["condition"]
	v.Condition = cond.Expr
	l.checkExpr(in.Name, cond.Expr)
	msg := content.Attributes["error_message"]
	if len(msg.Expr.Variables()) == 0 {
		v.ErrorMessage = l.stringAttr(content.Attributes, "error_message")
	} else {
		l.checkExpr(in.Name, msg.Expr)
		v.ErrorMessage = strings.TrimSpace(l.text(msg.Expr.Range()))
		v.messageExpr = msg.Expr
	}
	in.Validations = append(in.Validations, v)
	if opts := containsOptions(in.Name, cond.Expr); opts != nil && in.Options == nil {
		in.Options = opts
	}
}

// checkExpr reports functions the evaluator does not have and references to
// anything but the variable itself (Terraform 1.5 allows only that), so that a
// validation can never silently fail for every value.
func (l *moduleLoader) checkExpr(self string, expr hcl.Expression) {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return
	}
	r := expr.Range()
	hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			if _, known := functions[fc.Name]; !known {
				l.add(r.Filename, fc.NameRange.Start.Line, "validation uses function %s(), which TfPilot cannot evaluate", fc.Name)
			}
		}
		return nil
	})
	for _, t := range expr.Variables() {
		if t.RootName() != "var" || len(t) < 2 {
			l.add(r.Filename, t.SourceRange().Start.Line, "validation of %s may only refer to var.%s", self, self)
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); !ok || a.Name != self {
			l.add(r.Filename, t.SourceRange().Start.Line, "validation of %s may only refer to var.%s", self, self)
		}
	}
}

// containsOptions recognises contains(["a", "b"], var.name) and returns the
// literal options.
func containsOptions(self string, expr hcl.Expression) []string {
	fc, ok := expr.(*hclsyntax.FunctionCallExpr)
	if !ok || fc.Name != "contains" || len(fc.Args) != 2 {
		return nil
	}
	tup, ok := fc.Args[0].(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil
	}
	ref, ok := fc.Args[1].(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(ref.Traversal) != 2 || ref.Traversal.RootName() != "var" {
		return nil
	}
	if a, ok := ref.Traversal[1].(hcl.TraverseAttr); !ok || a.Name != self {
		return nil
	}
	opts := make([]string, 0, len(tup.Exprs))
	for _, e := range tup.Exprs {
		v, ds := e.Value(nil)
		if ds.HasErrors() || !v.IsKnown() || v.IsNull() {
			return nil
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return nil
		}
		opts = append(opts, s.AsString())
	}
	return opts
}
