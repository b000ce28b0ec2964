package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

func TestCheckName(t *testing.T) {
	s3, sqs, iam, ecs := nameRules["aws_s3_bucket"], nameRules["aws_sqs_queue"], nameRules["aws_iam_role"], nameRules["aws_ecs_service"]
	tests := []struct {
		name string
		rule nameRule
		in   string
		want string // "" = valid
	}{
		{"s3 ok", s3, "acme-dev-orders", ""},
		{"s3 dots ok", s3, "acme.dev.orders", ""},
		{"s3 63", s3, strings.Repeat("a", 63), ""},
		{"s3 64", s3, strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `" is 64 characters, 1 more than an S3 bucket name allows (63); shorten name by 1`},
		{"s3 too short", s3, "ab", `"ab" is 2 characters; an S3 bucket name needs at least 3`},
		{"s3 upper", s3, "acme-dev-Orders", `"acme-dev-Orders" contains 'O'; an S3 bucket name may only contain lowercase letters, digits, dots and hyphens`},
		{"s3 underscore", s3, "acme_dev", `"acme_dev" contains '_'; an S3 bucket name may only contain lowercase letters, digits, dots and hyphens`},
		{"s3 ends with hyphen", s3, "acme-dev-", `"acme-dev-": an S3 bucket name must start and end with a lowercase letter or digit`},
		{"s3 ip", s3, "192.168.5.4", `"192.168.5.4": an S3 bucket name must not look like an IP address`},
		{"s3 double dot", s3, "acme..dev", `"acme..dev": an S3 bucket name must not contain ".."`},
		{"s3 xn--", s3, "xn--acme", `"xn--acme": an S3 bucket name must not start with "xn--"`},
		{"s3 alias", s3, "acme-s3alias", `"acme-s3alias": an S3 bucket name must not end with "-s3alias"`},
		{"sqs ok", sqs, "Acme_dev-orders", ""},
		{"sqs fifo ok", sqs, "acme-dev-orders.fifo", ""},
		{"sqs 80 with fifo", sqs, strings.Repeat("q", 75) + ".fifo", ""},
		{"sqs 81 with fifo", sqs, strings.Repeat("q", 76) + ".fifo", `"` + strings.Repeat("q", 76) + `.fifo" is 81 characters, 1 more than an SQS queue name allows (80); shorten name by 1`},
		{"sqs dot inside", sqs, "acme.dev", `"acme.dev" contains '.'; an SQS queue name may only contain letters, digits, hyphens and underscores (and a final .fifo)`},
		{"iam ok", iam, "acme-dev+role=x,y.z@w_v", ""},
		{"iam 70", iam, strings.Repeat("r", 70), `"` + strings.Repeat("r", 70) + `" is 70 characters, 6 more than an IAM role name allows (64); shorten name by 6`},
		{"iam slash", iam, "a/b", `"a/b" contains '/'; an IAM role name may only contain letters, digits and +=,.@_-`},
		{"ecs 255", ecs, strings.Repeat("e", 255), ""},
		{"ecs 256", ecs, strings.Repeat("e", 256), `"` + strings.Repeat("e", 256) + `" is 256 characters, 1 more than an ECS service name allows (255); shorten name by 1`},
		{"ecs dot", ecs, "a.b", `"a.b" contains '.'; an ECS service name may only contain letters, digits, hyphens and underscores`},
	}
	for _, tt := range tests {
		if got := checkName(tt.rule, tt.in); got != tt.want {
			t.Errorf("%s: checkName(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestDerivedNames(t *testing.T) {
	cat := loadTestdata(t, "catalog")
	widget, plain := mustModule(t, cat, "widget"), mustModule(t, cat, "plain")
	tests := []struct {
		name          string
		m             *Module
		project, env  string
		values        map[string]string
		want          []DerivedName
		wantErrFields []string
	}{
		{"queue and its dead-letter queue", widget, "acme", "dev", map[string]string{"name": "orders"}, []DerivedName{
			{"aws_sqs_queue.dead_letter", "acme-dev-orders-dlq"},
			{"aws_sqs_queue.this", "acme-dev-orders"},
		}, nil},
		{"fifo adds the suffix", widget, "acme", "dev", map[string]string{"name": "orders", "fifo": "true"}, []DerivedName{
			{"aws_sqs_queue.dead_letter", "acme-dev-orders-dlq.fifo"},
			{"aws_sqs_queue.this", "acme-dev-orders.fifo"},
		}, nil},
		{"count 0 skips the dead-letter queue", widget, "acme", "dev", map[string]string{"name": "orders", "mode": "bulk"}, []DerivedName{
			{"aws_sqs_queue.this", "acme-dev-orders"},
		}, nil},
		{"name not given yet", widget, "acme", "dev", map[string]string{"fifo": "true"}, nil, nil},
		{"dead-letter queue too long", widget, "acme", "dev", map[string]string{"name": strings.Repeat("n", 67), "fifo": "true"}, []DerivedName{
			{"aws_sqs_queue.dead_letter", "acme-dev-" + strings.Repeat("n", 67) + "-dlq.fifo"},
			{"aws_sqs_queue.this", "acme-dev-" + strings.Repeat("n", 67) + ".fifo"},
		}, []string{"name", "name"}},
		{"bucket", plain, "acme", "prod", map[string]string{"name": "logs"}, []DerivedName{{"aws_s3_bucket.this", "acme-prod-logs"}}, nil},
		{"bucket too long", plain, "acme", "prod", map[string]string{"name": strings.Repeat("l", 60)}, []DerivedName{{"aws_s3_bucket.this", "acme-prod-" + strings.Repeat("l", 60)}}, []string{"name"}},
		{"bad project", plain, "Acme", "prod", map[string]string{"name": "x"}, nil, []string{"project"}},
		{"bad environment", plain, "acme", "../prod", map[string]string{"name": "x"}, nil, []string{"environment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.DerivedNames(tt.project, tt.env, tt.values)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			var fields []string
			var ie InputErrors
			if errors.As(err, &ie) {
				for _, e := range ie {
					fields = append(fields, e.Field)
				}
			} else if err != nil {
				t.Fatalf("error %T, want InputErrors", err)
			}
			if diff := cmp.Diff(tt.wantErrFields, fields); diff != "" {
				t.Errorf("error fields (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

func TestDerivedNameTooLongSaysByHowMuch(t *testing.T) {
	plain := mustModule(t, loadTestdata(t, "catalog"), "plain")
	_, err := plain.DerivedNames("acme", "prod", map[string]string{"name": strings.Repeat("l", 60)})
	want := `name: "acme-prod-` + strings.Repeat("l", 60) + `" is 70 characters, 7 more than an S3 bucket name allows (63); shorten name by 7`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestValidateTarget(t *testing.T) {
	tests := []struct {
		project, env string
		wantFields   []string
	}{
		{"payments", "dev", nil},
		{"a", "p1", nil},
		{"pay-ments", "prod-eu-1", nil},
		{"Payments", "dev", []string{"project"}},
		{"payments-", "dev", []string{"project"}},
		{"", "", []string{"project", "environment"}},
		{"payments", "dev/../prod", []string{"environment"}},
		{"payments", strings.Repeat("e", 33), []string{"environment"}},
	}
	for _, tt := range tests {
		err := ValidateTarget(tt.project, tt.env)
		var fields []string
		var ie InputErrors
		if errors.As(err, &ie) {
			for _, e := range ie {
				fields = append(fields, e.Field)
			}
		}
		if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
			t.Errorf("ValidateTarget(%q, %q) fields (-want +got):\n%s", tt.project, tt.env, diff)
		}
	}
}

func TestAllowedCharMatchesPattern(t *testing.T) {
	for typ, rule := range nameRules {
		for _, r := range []rune{0, ' ', '-', '_', '.', '/', '#', '+', '=', ',', '@', '0', '9', 'a', 'z', 'A', 'Z', 0x7f, 'é', 'ß', 'K', '٣', '𝟘', 0x2028} {
			if got, want := allowedChar(rule.allowed, r), rule.allowed.MatchString(string(r)); got != want {
				t.Errorf("%s: allowedChar(%q) = %v, pattern says %v", typ, r, got, want)
			}
		}
		for c := range rune(128) {
			if got, want := allowedChar(rule.allowed, c), rule.allowed.MatchString(string(c)); got != want {
				t.Errorf("%s: allowedChar(%q) = %v, pattern says %v", typ, c, got, want)
			}
		}
	}
}

func TestDerivedNamesNeedOnlyWhatNamesReferTo(t *testing.T) {
	var mods []*Module
	mods = append(mods, loadRealModules(t).Modules...)
	mods = append(mods, loadTestdata(t, "catalog").Modules...)
	for _, m := range mods {
		full := *m
		full.nameRefs = nameRefs{} // every variable and local
		for _, values := range []map[string]string{
			{},
			{"name": "orders"},
			{"name": "orders", "fifo_queue": "true", "fifo": "true"},
			{"name": strings.Repeat("n", 60), "fifo_queue": "true", "fifo": "true", "mode": "bulk"},
			{"name": "Bad_Name"},
		} {
			got, gotErr := m.DerivedNames("payments", "prod", values)
			want, wantErr := full.DerivedNames("payments", "prod", values)
			if diff := cmp.Diff(want, got); diff != "" || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("%s %v: names (-all +referenced):\n%s\nerr %v, want %v", m.Name, values, diff, gotErr, wantErr)
			}
		}
	}
}

func TestRefsOfFollowsLocals(t *testing.T) {
	parse := func(src string) hcl.Expression { return mustExpr(t, src) }
	m := &Module{locals: map[string]hcl.Expression{
		"suffix": parse(`var.fifo ? ".fifo" : ""`),
		"name":   parse(`"${var.project}-${var.name}${local.suffix}"`),
		"loop":   parse(`local.loop`),
		"tags":   parse(`merge(var.tags, {})`),
	}}
	got := m.refsOf([]hcl.Expression{parse(`local.name`), parse(`local.loop`)})
	want := nameRefs{
		locals: map[string]bool{"name": true, "suffix": true, "loop": true},
		vars:   map[string]bool{"fifo": true, "project": true, "name": true},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(nameRefs{})); diff != "" {
		t.Errorf("refsOf (-want +got):\n%s", diff)
	}
	got = m.refsOf([]hcl.Expression{parse(`local["name"]`)})
	if got.locals != nil || !got.vars["tags"] || !got.vars["fifo"] {
		t.Errorf("refsOf(local[\"name\"]) = %+v, want all locals and the variables they use", got)
	}
	if got = m.refsOf([]hcl.Expression{parse(`var["name"]`)}); got.vars != nil {
		t.Errorf("refsOf(var[\"name\"]) = %+v, want all variables", got)
	}
}
