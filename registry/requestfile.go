package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// moduleMetaArgs are the module arguments Terraform reserves for itself
// (no variable may take these names), so Render never writes them, source
// aside: each would change how Terraform calls the module.
var moduleMetaArgs = []string{"count", "for_each", "providers", "depends_on", "version"}

// CheckRequestFile reports whether content is a file Render could have
// written at path (a RequestFile path): HCL holding exactly one top-level
// block, `module "tfpilot_<label>"` with the path's label, whose source is
// a module of the catalogue (../../modules/<name>) and whose other
// arguments are literal values, with no meta-argument (count, for_each,
// providers, depends_on, version) and no nested block. Comments may say
// anything.
//
// A file merged by hand under a request file's name is checked this way
// before an approval is carried over it: a provider, terraform, moved,
// import, removed, check, locals, output, variable, data or resource block
// there changes what an apply does, or is invisible to the plan of the
// request's module. The error is a clause about the file ("it holds a
// provider block"), quoting at most a few dozen characters of it.
func CheckRequestFile(path string, content []byte) error {
	_, label, ok := RequestFile(path)
	if !ok {
		return errors.New("it is not named like a request's file (envs/<environment>/tfpilot_<12 hex digits>.tf)")
	}
	if why, _ := tooComplex(content, path); why != "" {
		return errors.New("it " + why)
	}
	f, ds := hclsyntax.ParseConfig(content, path, hcl.InitialPos)
	if ds.HasErrors() {
		return fmt.Errorf("it is not valid HCL (%s)", clip(ds[0].Summary))
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return errors.New("it is not native HCL")
	}
	if attrs := inOrder(body.Attributes); len(attrs) > 0 {
		return fmt.Errorf("it sets %s outside any block", clip(attrs[0].Name))
	}
	for _, b := range body.Blocks {
		if b.Type != "module" {
			return fmt.Errorf("it holds a %s block", clip(b.Type))
		}
	}
	switch n := len(body.Blocks); {
	case n == 0:
		return errors.New("it holds no module block")
	case n > 1:
		return fmt.Errorf("it holds %d blocks, not one", n)
	}
	return checkModuleBlock(body.Blocks[0], "tfpilot_"+label)
}

// checkModuleBlock checks the one block of a request file, which must be
// named want.
func checkModuleBlock(b *hclsyntax.Block, want string) error {
	switch {
	case len(b.Labels) == 0:
		return fmt.Errorf("its module block has no name, not %s", want)
	case len(b.Labels) != 1 || b.Labels[0] != want:
		return fmt.Errorf("its module block is named %s, not %s", clip(commentText(strings.Join(b.Labels, " "))), want)
	}
	for _, nb := range b.Body.Blocks {
		return fmt.Errorf("its module block holds a %s block", clip(nb.Type))
	}
	src, ok := b.Body.Attributes["source"]
	if !ok {
		return errors.New("its module block has no source")
	}
	v, ds := src.Expr.Value(nil)
	if ds.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String ||
		!strings.HasPrefix(v.AsString(), "../../modules/") || !ValidModuleName(strings.TrimPrefix(v.AsString(), "../../modules/")) {
		return errors.New("its module block's source is not a module of the catalogue (../../modules/<name>)")
	}
	for _, name := range moduleMetaArgs {
		if _, ok := b.Body.Attributes[name]; ok {
			return fmt.Errorf("its module block sets %s, which TfPilot never writes", name)
		}
	}
	for _, a := range inOrder(b.Body.Attributes) {
		// Render writes literals only. Evaluated without a context, a
		// reference (a data source's attribute) or a function call
		// (file()) is an error.
		if _, ds := a.Expr.Value(nil); ds.HasErrors() {
			return fmt.Errorf("its module block's argument %s is not a literal value", clip(a.Name))
		}
	}
	return nil
}

// inOrder lists attrs in the order of the file, so that an error names the
// same one every time.
func inOrder(attrs hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *hclsyntax.Attribute) int { return a.SrcRange.Start.Byte - b.SrcRange.Start.Byte })
	return out
}
