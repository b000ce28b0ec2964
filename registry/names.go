package registry

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// DerivedName is the final name of a resource a request creates.
type DerivedName struct {
	// Resource is the resource address inside the module, e.g. "aws_s3_bucket.this".
	Resource string
	Name     string
}

// nameRule is AWS's naming rule for one resource type.
type nameRule struct {
	what    string // "an S3 bucket name"
	max     int
	min     int
	allowed *regexp.Regexp // one character
	charset string         // allowed characters, for people
	extra   func(name string) string
}

var nameRules = map[string]nameRule{
	"aws_s3_bucket": {
		what: "an S3 bucket name", min: 3, max: 63,
		allowed: regexp.MustCompile(`^[a-z0-9.-]$`), charset: "lowercase letters, digits, dots and hyphens",
		extra: s3Extra,
	},
	"aws_sqs_queue": {
		what: "an SQS queue name", min: 1, max: 80,
		allowed: regexp.MustCompile(`^[A-Za-z0-9_-]$`), charset: "letters, digits, hyphens and underscores",
	},
	"aws_iam_role": {
		what: "an IAM role name", min: 1, max: 64,
		allowed: regexp.MustCompile(`^[\w+=,.@-]$`), charset: "letters, digits and +=,.@_-",
	},
	"aws_ecs_service": {
		what: "an ECS service name", min: 1, max: 255,
		allowed: regexp.MustCompile(`^[A-Za-z0-9_-]$`), charset: "letters, digits, hyphens and underscores",
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

// mainResource is the resource whose name is derived from the name input:
// among the resources with a naming rule, the one called "this" or "main",
// else the first declared.
func (m *Module) mainResource() (Resource, bool) {
	var first *Resource
	for i, r := range m.Resources {
		if _, ok := nameRules[r.Type]; !ok {
			continue
		}
		if r.Name == "this" || r.Name == "main" {
			return r, true
		}
		if first == nil {
			first = &m.Resources[i]
		}
	}
	if first == nil {
		return Resource{}, false
	}
	return *first, true
}

// DerivedNames returns the final name of the module's main resource,
// <project>-<environment>-<name> (plus ".fifo" for a FIFO queue), checked
// against AWS's rule for that resource type. A name is never truncated: one
// that is too long is an error saying by how much. When the module has no
// name input or no named resource, or name is not set yet, it returns nothing.
// values are canonical values as returned by Resolve. The error is InputErrors.
func (m *Module) DerivedNames(project, environment string, values map[string]string) ([]DerivedName, error) {
	if err := ValidateTarget(project, environment); err != nil {
		return nil, err
	}
	res, ok := m.mainResource()
	if !ok {
		return nil, nil
	}
	name, ok := m.stringValue("name", values)
	if !ok {
		return nil, nil
	}
	full := project + "-" + environment + "-" + name
	if res.Type == "aws_sqs_queue" && (m.boolValue("fifo", values) || m.boolValue("fifo_queue", values)) && !strings.HasSuffix(full, ".fifo") {
		full += ".fifo"
	}
	dn := []DerivedName{{Resource: res.Type + "." + res.Name, Name: full}}
	if reason := checkName(nameRules[res.Type], res.Type, full); reason != "" {
		return dn, InputErrors{{Field: "name", Reason: reason}}
	}
	return dn, nil
}

func checkName(rule nameRule, typ, full string) string {
	check := full
	if typ == "aws_sqs_queue" {
		check = strings.TrimSuffix(full, ".fifo")
	}
	n := len(full)
	switch {
	case n > rule.max:
		return fmt.Sprintf("%q is %d characters, %d more than %s allows (%d); shorten name by %d", full, n, n-rule.max, rule.what, rule.max, n-rule.max)
	case n < rule.min:
		return fmt.Sprintf("%q is %d characters; %s needs at least %d", full, n, rule.what, rule.min)
	}
	for _, r := range check {
		if !rule.allowed.MatchString(string(r)) {
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

// stringValue is the value of a string input: given, else its default.
func (m *Module) stringValue(name string, values map[string]string) (string, bool) {
	if v, ok := values[name]; ok {
		return v, true
	}
	in, ok := m.Input(name)
	if !ok || !in.HasDefault || in.Default.IsNull() || !in.Default.Type().Equals(cty.String) {
		return "", false
	}
	return in.Default.AsString(), true
}

// boolValue is the value of a bool input: given, else its default, else false.
func (m *Module) boolValue(name string, values map[string]string) bool {
	if v, ok := values[name]; ok {
		return v == "true"
	}
	in, ok := m.Input(name)
	if !ok || !in.HasDefault || in.Default.IsNull() || !in.Default.Type().Equals(cty.Bool) {
		return false
	}
	return in.Default.True()
}
