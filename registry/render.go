package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// ErrLabelTaken is returned by Render when the environment root already has a
// file for the request's label.
var ErrLabelTaken = errors.New("label already taken")

// labelLen is how many hex digits of the request ID make a label. UUIDv7 IDs
// share their leading 48-bit timestamp, so the label comes from the end:
// the last 12 hex digits are random in both v4 and v7.
const labelLen = 12

// Label returns the short, stable label of a request ID: its last 12 hex
// digits, lowercased, without dashes. "tfpilot_" + Label(id) is a valid HCL
// identifier and file name stem.
func Label(requestID string) string {
	hex := make([]byte, 0, 32)
	for _, c := range []byte(strings.ToLower(requestID)) {
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' {
			hex = append(hex, c)
		}
	}
	if len(hex) > labelLen {
		hex = hex[len(hex)-labelLen:]
	}
	return string(hex)
}

// RequestFile reports whether p (slash-separated, relative to the
// repository root) is a file TfPilot writes for a request,
// envs/<environment>/tfpilot_<label>.tf, and returns its environment and
// label. Nothing else matches: not an override file
// (tfpilot_<label>_override.tf), not a label of another length or case.
func RequestFile(p string) (environment, label string, ok bool) {
	rest, ok := strings.CutPrefix(p, "envs/")
	if !ok {
		return "", "", false
	}
	environment, base, ok := strings.Cut(rest, "/")
	if !ok || environment == "" || strings.Contains(base, "/") {
		return "", "", false
	}
	stem, ok := strings.CutSuffix(base, ".tf")
	if !ok {
		return "", "", false
	}
	label, ok = strings.CutPrefix(stem, "tfpilot_")
	if !ok || len(label) != labelLen || Label(label) != label {
		return "", "", false
	}
	return environment, label, true
}

// RenderSpec is everything Render needs besides the module.
type RenderSpec struct {
	RequestID, Project, Environment, Requester string
	CreatedAt                                  time.Time
	// Values are canonical values keyed by variable name, as returned by Resolve.
	Values map[string]string
	// ExistingFiles are the base names already in envs/<environment>/.
	ExistingFiles []string
	// Redact writes Redacted in place of each sensitive input's value once
	// the values are checked: the file for a card, never for git.
	Redact bool
}

// File is a rendered request file.
type File struct {
	// Path is slash-separated and relative to the repository root:
	// envs/<environment>/tfpilot_<label>.tf.
	Path    string
	Label   string
	Content []byte
}

// Render writes a request as a Terraform file for its environment root: a
// header comment (request ID, module, project, environment, requester,
// creation time; never an input value) and one module block whose source is
// ../../modules/<name>, with the system inputs and then the given user inputs
// in the module's declaration order, each as an HCL literal of the variable's
// type. It is pure and deterministic. A sensitive input's value must be a
// secret reference (SecretRefReason), so what goes to git is never the
// secret.
//
// Values are checked again exactly as Resolve checks them, and required inputs
// must all be present, so Render never produces a file Terraform would reject
// for an input. Every value the person gave is written, even one equal to the
// module's default: the file records what was asked for, and a later change
// of the module's default does not silently change an explicit choice.
// Inputs not given are left out, so they follow the module's defaults.
//
// Bad input is InputErrors; a label already present in ExistingFiles wraps
// ErrLabelTaken.
func Render(m *Module, spec RenderSpec) (File, error) {
	var errs InputErrors
	if err := ValidateTarget(spec.Project, spec.Environment); err != nil {
		errs = append(errs, err.(InputErrors)...)
	}
	id, err := uuid.Parse(spec.RequestID)
	if err != nil {
		errs = append(errs, InputError{Field: "request_id", Reason: fmt.Sprintf("%q is not a UUID", spec.RequestID)})
	}
	if spec.CreatedAt.IsZero() {
		errs = append(errs, InputError{Field: "created_at", Reason: "is not set"})
	}
	if len(errs) == 0 {
		errs = append(errs, m.checkSystem(spec.Project, spec.Environment, id.String())...)
	}
	vals, _, verrs := m.resolve(spec.Values)
	errs = append(errs, verrs...)
	given := make(map[string]string, len(spec.Values))
	for k := range spec.Values {
		if in, ok := m.lookup(k); ok {
			given[in.Name] = ""
		}
	}
	for _, name := range m.Missing(given) {
		errs = append(errs, InputError{Field: name, Reason: "is required"})
	}
	if len(errs) == 0 {
		if _, err := m.derivedNames(spec.Project, spec.Environment, vals); err != nil {
			errs = append(errs, err.(InputErrors)...)
		}
	}
	if len(errs) > 0 {
		return File{}, errs
	}

	label := Label(id.String())
	base := "tfpilot_" + label + ".tf"
	path := "envs/" + spec.Environment + "/" + base
	if slices.Contains(spec.ExistingFiles, base) {
		return File{}, fmt.Errorf("%s already exists: %w", path, ErrLabelTaken)
	}

	var b strings.Builder
	b.Grow(1024)
	b.WriteString("# Managed by TfPilot, do not edit: this file was generated from a chat request.\n")
	b.WriteString("# To change or remove what it creates, make a new request in TfPilot.\n#\n")
	for _, kv := range [][2]string{
		{"request_id", id.String()},
		{"module", m.Name},
		{"project", spec.Project},
		{"environment", spec.Environment},
		{"requester", commentText(spec.Requester)},
		{"created_at", spec.CreatedAt.UTC().Format(time.RFC3339)},
	} {
		// "# %-12s %s\n" with the key and its colon padded to 12 (keys are ASCII).
		b.WriteString("# ")
		b.WriteString(kv[0])
		b.WriteString(":")
		writeIndent(&b, max(0, 12-len(kv[0])-1))
		b.WriteString(" ")
		b.WriteString(kv[1])
		b.WriteString("\n")
	}
	b.WriteString("\n")

	system := []attr{
		{name: "source", val: cty.StringVal("../../modules/" + m.Name)},
		{name: "project", val: cty.StringVal(spec.Project)},
		{name: "environment", val: cty.StringVal(spec.Environment)},
		{name: "request_id", val: cty.StringVal(id.String())},
	}
	user := make([]attr, 0, len(vals))
	for _, in := range m.Inputs {
		if v, ok := vals[in.Name]; ok && !in.System {
			if in.Sensitive && spec.Redact {
				v = cty.StringVal(Redacted)
			}
			user = append(user, attr{name: in.Name, val: v})
		}
	}
	// The tests check that hclwrite.Format changes nothing in the output.
	writeModuleBlock(&b, "tfpilot_"+label, system, user)
	return File{Path: path, Label: label, Content: []byte(b.String())}, nil
}

// literalTokens writes a value as an HCL literal. Strings and numbers go
// through hclwrite.TokensForValue, which escapes "${", "%{", quotes,
// backslashes and control characters. Map and object keys are written here
// because hclwrite leaves an identifier-shaped key bare, and a bare "for"
// starts a for expression: such keys are quoted.
func literalTokens(v cty.Value) hclwrite.Tokens {
	ty := v.Type()
	switch {
	case v.IsNull() || ty.IsPrimitiveType():
		return hclwrite.TokensForValue(v)
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		elems := make([]hclwrite.Tokens, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			elems = append(elems, literalTokens(e))
		}
		return hclwrite.TokensForTuple(elems)
	case ty.IsMapType() || ty.IsObjectType():
		attrs := make([]hclwrite.ObjectAttrTokens, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); { // sorted by key
			k, e := it.Element()
			attrs = append(attrs, hclwrite.ObjectAttrTokens{Name: keyTokens(k.AsString()), Value: literalTokens(e)})
		}
		return hclwrite.TokensForObject(attrs)
	}
	return hclwrite.TokensForValue(v)
}

// keyTokens leaves a key bare only when it is a plain identifier that HCL
// cannot read as a keyword or the start of an expression.
func keyTokens(k string) hclwrite.Tokens {
	if !keywordKey(k) && hclsyntax.ValidIdentifier(k) {
		return hclwrite.TokensForIdentifier(k)
	}
	return hclwrite.TokensForValue(cty.StringVal(k))
}

// keywordKey reports whether a key that is an identifier must still be
// quoted, because HCL would read it as a keyword or a literal.
func keywordKey(k string) bool {
	switch k {
	case "for", "if", "in", "null", "true", "false", "endfor", "endif", "else":
		return true
	}
	return false
}

// checkSystem runs the module's own validations of the system inputs, which
// may be stricter than ValidateTarget (a short project for a bucket module).
func (m *Module) checkSystem(project, environment, requestID string) InputErrors {
	var errs InputErrors
	for _, in := range m.Inputs {
		var v string
		switch in.Name {
		case "project":
			v = project
		case "environment":
			v = environment
		case "request_id":
			v = requestID
		default:
			continue
		}
		cv, err := convert.Convert(cty.StringVal(v), in.Type)
		if err != nil {
			errs = append(errs, InputError{Field: in.Name, Reason: "module declares it as " + in.TypeExpr + ", not a string"})
			continue
		}
		for _, msg := range in.check(cv) {
			errs = append(errs, InputError{Field: in.Name, Reason: msg})
		}
	}
	return errs
}

// commentText makes free text (the requester's display name) safe inside a
// one-line comment: anything that is not a printable character, including
// every kind of line break, becomes U+FFFD.
func commentText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) && r != ' ' {
			return '\uFFFD'
		}
		return r
	}, s)
	if strings.TrimSpace(s) == "" {
		return "(unknown)"
	}
	return s
}
