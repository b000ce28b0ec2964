package registry

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// DerivedName is the final name of a resource a request creates.
type DerivedName struct {
	// Resource is the resource address inside the module, e.g. "aws_s3_bucket.this".
	Resource string
	Name     string
}

// nameRule is AWS's naming rule for one resource type.
type nameRule struct {
	attr    string // the argument holding the name
	what    string // "an S3 bucket name", for people
	min     int
	max     int
	allowed *regexp.Regexp // one character
	charset string         // allowed characters, for people
	extra   func(name string) string
	fifo    bool // a final ".fifo" is allowed
}

var (
	alnumDash = regexp.MustCompile(`^[A-Za-z0-9_-]$`)
	iamChars  = regexp.MustCompile(`^[\w+=,.@-]$`)
)

var nameRules = map[string]nameRule{
	"aws_s3_bucket": {
		attr: "bucket", what: "an S3 bucket name", min: 3, max: 63,
		allowed: regexp.MustCompile(`^[a-z0-9.-]$`), charset: "lowercase letters, digits, dots and hyphens",
		extra: s3Extra,
	},
	"aws_sqs_queue": {
		attr: "name", what: "an SQS queue name", min: 1, max: 80,
		allowed: alnumDash, charset: "letters, digits, hyphens and underscores (and a final .fifo)", fifo: true,
	},
	"aws_iam_role": {
		attr: "name", what: "an IAM role name", min: 1, max: 64,
		allowed: iamChars, charset: "letters, digits and +=,.@_-",
	},
	"aws_iam_role_policy": {
		attr: "name", what: "an IAM role policy name", min: 1, max: 128,
		allowed: iamChars, charset: "letters, digits and +=,.@_-",
	},
	"aws_iam_instance_profile": {
		attr: "name", what: "an IAM instance profile name", min: 1, max: 128,
		allowed: iamChars, charset: "letters, digits and +=,.@_-",
	},
	"aws_ecs_service": {
		attr: "name", what: "an ECS service name", min: 1, max: 255,
		allowed: alnumDash, charset: "letters, digits, hyphens and underscores",
	},
	"aws_ecs_task_definition": {
		attr: "family", what: "an ECS task definition family", min: 1, max: 255,
		allowed: alnumDash, charset: "letters, digits, hyphens and underscores",
	},
	"aws_cloudwatch_log_group": {
		attr: "name", what: "a CloudWatch log group name", min: 1, max: 512,
		allowed: regexp.MustCompile(`^[A-Za-z0-9._/#-]$`), charset: "letters, digits and ._/#-",
	},
}

func s3Extra(name string) string {
	first, last := name[0], name[len(name)-1]
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	switch {
	case !isAlnum(first) || !isAlnum(last):
		return "must start and end with a lowercase letter or digit"
	case strings.Contains(name, ".."):
		return `must not contain ".."`
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "must not look like an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("must not start with %q", p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return fmt.Sprintf("must not end with %q", s)
		}
	}
	return ""
}

// slug is what project and environment names look like.
var slug = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// ValidateTarget checks a project and an environment name: 1–32 lowercase
// letters, digits and hyphens, starting and ending with a letter or digit.
// They become part of resource names and of the file path. The error is
// InputErrors.
func ValidateTarget(project, environment string) error {
	var errs InputErrors
	for _, f := range []struct{ field, v string }{{"project", project}, {"environment", environment}} {
		if !slug.MatchString(f.v) {
			errs = append(errs, InputError{Field: f.field, Reason: fmt.Sprintf("%q must be 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit", f.v)})
		}
	}
	return errs.err()
}

// placeholderRequestID stands in for the request ID when names are derived
// before one exists; names never contain it in practice.
const placeholderRequestID = "00000000-0000-7000-8000-000000000000"

// DerivedNames returns the final AWS names of the resources the module would
// create for these values, checked against AWS's rule for each resource type
// (S3 bucket, SQS queue, IAM role, ECS service and a few more). The names are
// computed from the module itself: each named resource's name argument is
// evaluated with the module's locals, the given values, the defaults and the
// system inputs, so "<project>-<environment>-<name>", a ".fifo" suffix or a
// "-dlq" queue come out exactly as Terraform will create them. A resource
// whose count is 0 is skipped; a name that cannot be computed yet (name not
// given) is left out. When a module's main resource has no name argument, the
// convention <project>-<environment>-<name> is checked instead.
//
// A name is never truncated: one that is too long is an error saying by how
// much. values are canonical values as returned by Resolve; the error is
// InputErrors with field "name".
func (m *Module) DerivedNames(project, environment string, values map[string]string) ([]DerivedName, error) {
	if err := ValidateTarget(project, environment); err != nil {
		return nil, err
	}
	vals := make(map[string]cty.Value, len(values))
	for _, in := range m.Inputs {
		if text, ok := values[in.Name]; ok {
			if v, _, err := parseValue(in, text); err == nil {
				vals[in.Name] = v
			}
		}
	}
	return m.derivedNames(project, environment, vals)
}

// derivedNames is DerivedNames on values already converted.
func (m *Module) derivedNames(project, environment string, vals map[string]cty.Value) ([]DerivedName, error) {
	ctx := m.nameContext(project, environment, vals, m.nameRefs)
	var out []DerivedName
	var errs InputErrors
	for _, r := range m.Resources {
		rule, ok := nameRules[r.Type]
		if !ok {
			continue
		}
		name, ok := r.derive(ctx, project, environment, vals)
		if !ok {
			continue
		}
		out = append(out, DerivedName{Resource: r.Type + "." + r.Name, Name: name})
		if reason := checkName(rule, name); reason != "" && !slices.Contains(errs, InputError{"name", reason}) {
			errs = append(errs, InputError{Field: "name", Reason: reason})
		}
	}
	return out, errs.err()
}

// derive evaluates the resource's name; ok is false when the resource would
// not exist or its name is not known yet.
func (r Resource) derive(ctx *hcl.EvalContext, project, environment string, vals map[string]cty.Value) (string, bool) {
	if r.countExpr != nil {
		c, ds := r.countExpr.Value(ctx)
		if !ds.HasErrors() && c.IsKnown() && !c.IsNull() && c.Type() == cty.Number && c.RawEquals(cty.Zero) {
			return "", false
		}
	}
	if r.nameExpr == nil {
		if r.Name != "this" && r.Name != "main" {
			return "", false
		}
		n, ok := vals["name"]
		if !ok || n.Type() != cty.String {
			return "", false
		}
		return project + "-" + environment + "-" + n.AsString(), true
	}
	v, ds := r.nameExpr.Value(ctx)
	if ds.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", false
	}
	return s.AsString(), true
}

// nameContext is what a name argument may refer to: var (given values, else
// defaults, else unknown) and local (evaluated to a fixed point; a local that
// refers to a resource or data source stays unknown). Only the variables and
// locals in refs are set; see nameRefs.
func (m *Module) nameContext(project, environment string, vals map[string]cty.Value, refs nameRefs) *hcl.EvalContext {
	only := refs.locals
	vars := make(map[string]cty.Value, len(m.Inputs))
	for _, in := range m.Inputs {
		if refs.vars != nil && !refs.vars[in.Name] {
			continue
		}
		vars[in.Name] = cty.UnknownVal(in.Type)
		switch in.Name {
		case "project":
			vars[in.Name] = cty.StringVal(project)
			continue
		case "environment":
			vars[in.Name] = cty.StringVal(environment)
			continue
		case "request_id":
			vars[in.Name] = cty.StringVal(placeholderRequestID)
			continue
		}
		if v, ok := vals[in.Name]; ok {
			vars[in.Name] = v
		} else if in.HasDefault {
			vars[in.Name] = in.Default
		}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: functions,
	}
	locals := make(map[string]cty.Value, len(m.locals))
	for name := range m.locals {
		locals[name] = cty.DynamicVal
	}
	rounds := len(m.locals)
	if only != nil {
		rounds = len(only)
	}
	for range rounds + 1 {
		ctx.Variables["local"] = cty.ObjectVal(locals)
		changed := false
		for name, expr := range m.locals {
			if locals[name].IsWhollyKnown() || only != nil && !only[name] {
				continue
			}
			v, ds := expr.Value(ctx)
			if ds.HasErrors() || !v.IsWhollyKnown() {
				continue
			}
			locals[name], changed = v, true
		}
		if !changed {
			break
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx
}

func checkName(rule nameRule, full string) string {
	n := len(full)
	switch {
	case n > rule.max:
		return fmt.Sprintf("%q is %d characters, %d more than %s allows (%d); shorten name by %d", full, n, n-rule.max, rule.what, rule.max, n-rule.max)
	case n < rule.min:
		return fmt.Sprintf("%q is %d characters; %s needs at least %d", full, n, rule.what, rule.min)
	}
	check := full
	if rule.fifo {
		check = strings.TrimSuffix(full, ".fifo")
	}
	for _, r := range check {
		if !allowedChar(rule.allowed, r) {
			return fmt.Sprintf("%q contains %q; %s may only contain %s", full, r, rule.what, rule.charset)
		}
	}
	if rule.extra != nil {
		if reason := rule.extra(full); reason != "" {
			return fmt.Sprintf("%q: %s %s", full, rule.what, reason)
		}
	}
	return ""
}

// nameRefs are the locals and variables that a module's name and count
// arguments refer to, directly or through locals; nil means all of them.
type nameRefs struct {
	locals, vars map[string]bool
}

// refsOf returns what exprs refer to. A reference to local or var that is
// not a plain local.<name> or var.<name> makes that set nil (all).
func (m *Module) refsOf(exprs []hcl.Expression) nameRefs {
	locals, vars := map[string]bool{}, map[string]bool{}
	allLocals, allVars := false, false
	for len(exprs) > 0 {
		expr := exprs[len(exprs)-1]
		exprs = exprs[:len(exprs)-1]
		for _, t := range expr.Variables() {
			var name string
			if len(t) >= 2 {
				if a, ok := t[1].(hcl.TraverseAttr); ok {
					name = a.Name
				}
			}
			switch t.RootName() {
			case "var":
				allVars = allVars || name == ""
				vars[name] = true
			case "local":
				allLocals = allLocals || name == ""
				for n, local := range m.locals {
					if (name == "" || n == name) && !locals[n] {
						locals[n] = true
						exprs = append(exprs, local)
					}
				}
			}
		}
	}
	if allLocals {
		locals = nil
	}
	if allVars {
		vars = nil
	}
	return nameRefs{locals: locals, vars: vars}
}

// charSets holds, for each one-character pattern of nameRules, the ASCII
// characters it matches. The patterns are ASCII classes (Go's \w is ASCII
// too), so nothing else matches; a table saves a regexp match per character
// of every derived name.
var charSets = sync.OnceValue(func() map[*regexp.Regexp]*[128]bool {
	sets := map[*regexp.Regexp]*[128]bool{}
	for _, rule := range nameRules {
		if _, ok := sets[rule.allowed]; ok {
			continue
		}
		set := new([128]bool)
		for c := range rune(128) {
			set[c] = rule.allowed.MatchString(string(c))
		}
		sets[rule.allowed] = set
	}
	return sets
})

// allowedChar is re.MatchString(string(r)) for a pattern of nameRules.
func allowedChar(re *regexp.Regexp, r rune) bool {
	set, ok := charSets()[re]
	if !ok {
		return re.MatchString(string(r))
	}
	return r < 128 && set[r]
}
