package registry

import (
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A sensitive input never takes the secret itself: whatever a person gives
// is written to git, so it takes a reference that the module reads. The
// convention, checked by Check (bot check) and enforced by Resolve and
// Render:
//
//   - a variable with sensitive = true is of type string and its name ends
//     in "_arn" (db_password_arn), or of type list(string), set(string) or
//     map(string) and its name ends in "_arns" (secret_arns);
//   - every string in its value, and in its default when it has one, is the
//     ARN of a Secrets Manager secret or an SSM parameter (SecretRefPattern);
//   - the module hands that ARN on (an ECS task definition's
//     secrets[].valueFrom, an IAM policy's resources) rather than reading the
//     secret with a data source, which would put it in the plan and state.
//
// The ARN is then safe in git; cards, logs and the audit trail still redact
// it, since an ARN names an account and a secret.

// Redacted is the text shown in place of a sensitive value.
const Redacted = "(sensitive)"

// SecretRefReason is why Resolve refuses a sensitive input's value that is
// not a reference (the form's hint says the same).
const SecretRefReason = "this input takes the ARN of a Secrets Manager secret or SSM parameter, not the secret itself"

// SecretRefPattern is the shape of a reference a sensitive input takes: a
// Secrets Manager secret ARN (full, or partial without the random suffix)
// or an SSM parameter ARN, in any AWS partition.
const SecretRefPattern = `^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+|ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+)$`

var secretRef = regexp.MustCompile(SecretRefPattern)

// IsSecretRef reports whether s is a reference a sensitive input may take.
func IsSecretRef(s string) bool { return secretRef.MatchString(s) }

// refOnly reports whether every string in v is a secret reference (null
// counts as none given). Numbers, bools and other shapes are not references.
func refOnly(v cty.Value) bool {
	if v.IsNull() {
		return true
	}
	if !v.IsKnown() {
		return false
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return IsSecretRef(v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsMapType() || ty.IsTupleType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); !refOnly(e) {
				return false
			}
		}
		return true
	}
	return false
}

// redactedContext is the context a sensitive input's validation messages
// are evaluated in: the variable is Redacted when a string, else unknown
// (the message is then its source text).
func redactedContext(in *Input) *hcl.EvalContext {
	v := cty.UnknownVal(in.Type)
	if in.Type == cty.String {
		v = cty.StringVal(Redacted)
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{in.Name: v})},
		Functions: functions,
	}
}

// sensitiveConvention returns what is wrong with a sensitive variable's
// declaration under the convention above, or "".
func sensitiveConvention(in *Input) string {
	switch {
	case in.Type == cty.String:
		if !strings.HasSuffix(in.Name, "_arn") {
			return `is sensitive but takes the secret itself, which would be committed to git: rename it "` + refName(in.Name, "_arn") +
				`" and take the ARN of a Secrets Manager secret or SSM parameter that the module reads`
		}
	case (in.Type.IsListType() || in.Type.IsSetType() || in.Type.IsMapType()) && in.Type.ElementType() == cty.String:
		if !strings.HasSuffix(in.Name, "_arns") {
			return `is sensitive but takes the secrets themselves, which would be committed to git: rename it "` + refName(in.Name, "_arns") +
				`" and take ARNs of Secrets Manager secrets or SSM parameters that the module reads`
		}
	default:
		return "is sensitive but of type " + in.TypeExpr + `, which cannot hold a reference: make it a string named "` + refName(in.Name, "_arn") +
			`" (or a list, set or map of strings named "` + refName(in.Name, "_arns") + `") taking ARNs of Secrets Manager secrets or SSM parameters that the module reads`
	}
	if in.HasDefault && !refOnly(in.Default) {
		return "is sensitive and its default is not the ARN of a Secrets Manager secret or SSM parameter: make the default null or such an ARN"
	}
	return ""
}

// refName is name with suffix, replacing a shorter reference suffix it
// may already have.
func refName(name, suffix string) string {
	name = strings.TrimSuffix(strings.TrimSuffix(name, "_arns"), "_arn")
	return name + suffix
}

// IsSensitive reports whether key, in any spelling Resolve accepts, names a
// sensitive input of m.
func (m *Module) IsSensitive(key string) bool {
	in, ok := m.lookup(key)
	return ok && in.Sensitive
}
