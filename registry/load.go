package registry

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// moduleName is what a module folder may be called: it ends up in a source
// path and in chat, so keep it boring.
var moduleName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ModuleNameRule says in words what ValidModuleName accepts.
const ModuleNameRule = "lowercase letters, digits, hyphens and underscores, starting with a letter or digit"

// ValidModuleName reports whether name may name a module (its folder under
// modules/). It is the one rule for module names: the catalogue loader and
// the policy file both use it.
func ValidModuleName(name string) bool { return moduleName.MatchString(name) }

// Load reads every module folder at the root of fsys (for example
// os.DirFS("modules")). It returns the catalogue of the modules that loaded
// cleanly and, when any did not, the same Diagnostics as the error. Hidden
// folders (".x") and folders starting with "_" are skipped.
func Load(fsys fs.FS) (*Catalog, error) {
	all, diags := loadAll(fsys)
	cat := &Catalog{}
	for _, lm := range all {
		if len(lm.diags) == 0 {
			cat.Modules = append(cat.Modules, lm.mod)
		}
		diags = append(diags, lm.diags...)
	}
	cat.Diagnostics = diags
	return cat, diags.Err()
}

// loaded is one module as read, with its problems; check needs the broken
// ones too.
type loaded struct {
	mod   *Module
	diags Diagnostics
}

func loadAll(fsys fs.FS) ([]loaded, Diagnostics) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, Diagnostics{{File: ".", Message: fmt.Sprintf("read module folder: %v", err)}}
	}
	// Reading is sequential because an fs.FS is not promised to be safe for
	// concurrent use; parsing, which is nearly all of the time, is not I/O
	// and runs on every CPU.
	var srcs []moduleSource
	for _, e := range entries { // fs.ReadDir sorts by name
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		srcs = append(srcs, readModule(fsys, name))
	}
	out := make([]loaded, len(srcs))
	parallel(len(srcs), func(i int) { out[i] = srcs[i].load() })
	return out, nil
}

// parallel calls do(0) … do(n-1) on up to GOMAXPROCS goroutines and returns
// when all have returned. Each call must touch only its own data. A panic in
// a call is raised again in the caller's goroutine, as if the calls had run
// there.
func parallel(n int, do func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			do(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Pointer[any]
	for range workers {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panicked.CompareAndSwap(nil, &p)
					next.Store(int64(n)) // stop handing out work
				}
			}()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		})
	}
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
}

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "locals"},
}}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "type"}, {Name: "default"},
		{Name: "sensitive"}, {Name: "nullable"}, {Name: "ephemeral"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "condition", Required: true}, {Name: "error_message", Required: true},
}}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"},
		{Name: "depends_on"}, {Name: "ephemeral"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "precondition"}},
}

// moduleLoader collects one module's contents and diagnostics.
type moduleLoader struct {
	mod   *Module
	diags Diagnostics
	src   []byte // the file being read, for source text of expressions
}

func (l *moduleLoader) add(file string, line int, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{Module: l.mod.Name, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (l *moduleLoader) addHCL(ds hcl.Diagnostics) {
	for _, d := range ds {
		if d.Severity != hcl.DiagError {
			continue
		}
		file, line := l.mod.Name, 0
		if d.Subject != nil {
			file, line = d.Subject.Filename, d.Subject.Start.Line
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		l.add(file, line, "%s", msg)
	}
}

// moduleSource is a module folder as read from the file system, before
// anything is parsed.
type moduleSource struct {
	dir     string
	readErr error // reading the folder itself
	files   []sourceFile
}

// sourceFile is one .tf file or README.md of a module, in folder order.
type sourceFile struct {
	path   string
	readme bool
	data   []byte
	err    error
}

// readModule reads the .tf files and README.md of one module folder.
func readModule(fsys fs.FS, dir string) moduleSource {
	ms := moduleSource{dir: dir}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		ms.readErr = err
		return ms
	}
	for _, e := range entries {
		tf := strings.HasSuffix(e.Name(), ".tf")
		if e.IsDir() || !tf && e.Name() != "README.md" {
			continue
		}
		f := sourceFile{path: path.Join(dir, e.Name()), readme: !tf}
		f.data, f.err = fs.ReadFile(fsys, f.path)
		ms.files = append(ms.files, f)
	}
	return ms
}

// load parses what readModule read. It touches no shared state, so modules
// load in parallel.
func (ms moduleSource) load() loaded {
	dir := ms.dir
	l := &moduleLoader{mod: &Module{Name: dir}}
	if !ValidModuleName(dir) {
		l.add(dir, 0, "module folder name must be "+ModuleNameRule)
	}
	if ms.readErr != nil {
		l.add(dir, 0, "read module: %v", ms.readErr)
		return loaded{l.mod, l.diags}
	}
	nTF := 0
	for _, f := range ms.files {
		switch {
		case !f.readme:
			nTF++
			l.readFile(f)
		case f.err != nil:
			l.add(f.path, 0, "read README: %v", f.err)
		default:
			l.mod.readme = string(f.data)
			l.mod.Description = firstParagraph(l.mod.readme)
		}
	}
	if nTF == 0 {
		l.add(dir, 0, "module has no .tf files")
	}
	l.finish()
	return loaded{l.mod, l.diags}
}

func (l *moduleLoader) readFile(sf sourceFile) {
	p, src := sf.path, sf.data
	if sf.err != nil {
		l.add(p, 0, "read: %v", sf.err)
		return
	}
	l.src = src
	f, ds := parseFile(src, p)
	l.addHCL(ds)
	if f == nil || ds.HasErrors() {
		return
	}
	content, ds := rootContent(f.Body, rootSchema)
	l.addHCL(ds)
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			l.variable(b)
		case "output":
			l.output(b)
		case "resource":
			l.resource(b)
		case "locals":
			attrs, ds := b.Body.JustAttributes()
			l.addHCL(ds)
			for name, a := range attrs {
				if l.mod.locals == nil {
					l.mod.locals = map[string]hcl.Expression{}
				}
				l.mod.locals[name] = a.Expr
			}
		}
	}
}

func (l *moduleLoader) resource(b *hcl.Block) {
	r := Resource{Type: b.Labels[0], Name: b.Labels[1], File: b.DefRange.Filename, Line: b.DefRange.Start.Line}
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		if a, ok := sb.Attributes["tags"]; ok {
			r.Tagged, r.tagsExpr = true, a.Expr
		}
		if rule, ok := nameRules[r.Type]; ok {
			if a, ok := sb.Attributes[rule.attr]; ok {
				r.nameExpr = a.Expr
			}
		}
		if a, ok := sb.Attributes["count"]; ok {
			r.countExpr = a.Expr
		}
	}
	l.mod.Resources = append(l.mod.Resources, r)
}

func (l *moduleLoader) text(r hcl.Range) string {
	if r.End.Byte > len(l.src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(l.src[r.Start.Byte:r.End.Byte])
}

// literal evaluates an expression that may not refer to anything.
func (l *moduleLoader) literal(attr *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	if v, ok := quotedLiteral(attr.Expr); ok && ty == cty.String {
		return v, true
	}
	v, ds := attr.Expr.Value(nil)
	if ds.HasErrors() {
		l.addHCL(ds)
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil || cv.IsNull() {
		l.add(attr.Range.Filename, attr.Range.Start.Line, "%s must be a %s literal", attr.Name, ty.FriendlyName())
		return cty.NilVal, false
	}
	return cv, true
}

func (l *moduleLoader) boolAttr(attrs hcl.Attributes, name string, def bool) bool {
	a, ok := attrs[name]
	if !ok {
		return def
	}
	v, ok := l.literal(a, cty.Bool)
	if !ok {
		return def
	}
	return v.True()
}

func (l *moduleLoader) stringAttr(attrs hcl.Attributes, name string) string {
	a, ok := attrs[name]
	if !ok {
		return ""
	}
	v, ok := l.literal(a, cty.String)
	if !ok {
		return ""
	}
	return v.AsString()
}

func (l *moduleLoader) output(b *hcl.Block) {
	content, ds := bodyContent(b.Body, outputSchema)
	l.addHCL(ds)
	l.mod.Outputs = append(l.mod.Outputs, &Output{
		Name:        b.Labels[0],
		Description: l.stringAttr(content.Attributes, "description"),
		Sensitive:   l.boolAttr(content.Attributes, "sensitive", false),
		File:        b.DefRange.Filename,
		Line:        b.DefRange.Start.Line,
	})
}

// finish builds the derived fields once every file is read.
func (l *moduleLoader) finish() {
	m := l.mod
	seen := map[string]bool{}
	for _, r := range m.Resources {
		if !seen[r.Type] {
			seen[r.Type] = true
			m.ResourceTypes = append(m.ResourceTypes, r.Type)
		}
	}
	slices.Sort(m.ResourceTypes)
	var nameExprs []hcl.Expression
	for _, r := range m.Resources {
		if _, ok := nameRules[r.Type]; !ok {
			continue
		}
		for _, e := range []hcl.Expression{r.nameExpr, r.countExpr} {
			if e != nil {
				nameExprs = append(nameExprs, e)
			}
		}
	}
	m.nameRefs = m.refsOf(nameExprs)
	m.byKey = map[string]*Input{}
	m.squash = map[string]*Input{}
	ambiguous := map[string]bool{}
	for _, in := range m.Inputs {
		if in.System {
			continue
		}
		m.byKey[normalizeKey(in.Name)] = in
		sq := squashKey(in.Name)
		if _, dup := m.squash[sq]; dup {
			ambiguous[sq] = true
		}
		m.squash[sq] = in
	}
	for sq := range ambiguous {
		delete(m.squash, sq)
	}
}

// firstParagraph returns the first paragraph of Markdown text that is not a
// heading, joined into one line.
func firstParagraph(md string) string {
	var para []string
	for _, line := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" && len(para) > 0:
			return strings.Join(para, " ")
		case t == "", strings.HasPrefix(t, "#"), strings.HasPrefix(t, "<!--"), strings.HasPrefix(t, "[!["):
			if len(para) > 0 {
				return strings.Join(para, " ")
			}
		default:
			para = append(para, t)
		}
	}
	return strings.Join(para, " ")
}
