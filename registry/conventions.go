package registry

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// TaggableTypes are the AWS resource types that accept tags and so must carry
// TfPilot's tags in every module. Types not listed are not checked.
var TaggableTypes = []string{
	"aws_cloudwatch_log_group",
	"aws_cloudwatch_metric_alarm",
	"aws_dynamodb_table",
	"aws_ecr_repository",
	"aws_ecs_cluster",
	"aws_ecs_service",
	"aws_ecs_task_definition",
	"aws_iam_instance_profile",
	"aws_iam_policy",
	"aws_iam_role",
	"aws_kms_key",
	"aws_lambda_function",
	"aws_lb",
	"aws_lb_target_group",
	"aws_s3_bucket",
	"aws_secretsmanager_secret",
	"aws_security_group",
	"aws_sns_topic",
	"aws_sqs_queue",
	"aws_ssm_parameter",
}

// RequiredTags are the tags every taggable resource carries, with the fixed
// value where there is one.
var RequiredTags = map[string]string{
	"ManagedBy":        "tfpilot",
	"TfPilotRequestId": "",
	"Project":          "",
	"Environment":      "",
}

// Check loads the catalogue and checks every module, broken ones included,
// against TfPilot's conventions: all system inputs declared, every variable
// and output described, a README.md that lists every input and output (as
// `name`), every sensitive variable taking a secret reference rather than
// the secret (see SecretRefReason), and every taggable resource setting
// tags that include RequiredTags. It returns the load diagnostics followed by the convention
// problems; empty means clean.
func Check(fsys fs.FS) Diagnostics {
	all, diags := loadAll(fsys)
	if len(all) == 0 && len(diags) == 0 {
		diags = append(diags, Diagnostic{File: ".", Message: "no module folders found"})
	}
	for _, lm := range all {
		diags = append(diags, lm.diags...)
		diags = append(diags, conventions(lm.mod)...)
	}
	return diags
}

func conventions(m *Module) Diagnostics {
	var ds Diagnostics
	add := func(file string, line int, format string, args ...any) {
		ds = append(ds, Diagnostic{Module: m.Name, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	varsFile := path.Join(m.Name, "variables.tf")
	readme := path.Join(m.Name, "README.md")
	for _, name := range SystemInputs {
		if _, ok := m.Input(name); !ok {
			add(varsFile, 0, "missing system input %q", name)
		}
	}
	for _, in := range m.Inputs {
		if strings.TrimSpace(in.Description) == "" {
			add(in.File, in.Line, "variable %q has no description", in.Name)
		}
		if in.Sensitive {
			if why := sensitiveConvention(in); why != "" {
				add(in.File, in.Line, "variable %q %s", in.Name, why)
			}
		}
	}
	for _, out := range m.Outputs {
		if strings.TrimSpace(out.Description) == "" {
			add(out.File, out.Line, "output %q has no description", out.Name)
		}
	}
	if m.readme == "" {
		add(readme, 0, "README.md is missing or empty")
	} else {
		for _, in := range m.Inputs {
			if !strings.Contains(m.readme, "`"+in.Name+"`") {
				add(readme, 0, "README does not list input `%s`", in.Name)
			}
		}
		for _, out := range m.Outputs {
			if !strings.Contains(m.readme, "`"+out.Name+"`") {
				add(readme, 0, "README does not list output `%s`", out.Name)
			}
		}
	}
	ctx := m.nameContext("project", "env", nil, nameRefs{})
	for _, r := range m.Resources {
		if !slices.Contains(TaggableTypes, r.Type) {
			continue
		}
		if !r.Tagged {
			add(r.File, r.Line, "%s.%s is taggable but does not set tags", r.Type, r.Name)
			continue
		}
		// Check the tags when they can be computed without the user's values.
		v, diags := r.tagsExpr.Value(ctx)
		if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			continue
		}
		tags := v.AsValueMap()
		for _, k := range sortedKeys(RequiredTags) {
			got, ok := tags[k]
			switch {
			case !ok:
				add(r.File, r.Line, "%s.%s tags lack %s", r.Type, r.Name, k)
			case RequiredTags[k] != "" && (got.Type() != cty.String || got.AsString() != RequiredTags[k]):
				add(r.File, r.Line, "%s.%s tag %s must be %q", r.Type, r.Name, k, RequiredTags[k])
			}
		}
	}
	return ds
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
