package registry

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const testSecretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf"

func TestIsSecretRef(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{testSecretARN, true},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db", true}, // partial ARN, as ECS takes it
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/orders/db-password", true},
		{"arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/x", true},
		{"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x-AbCdEf", true},
		{"hunter2", false},
		{"", false},
		{" " + testSecretARN, false},
		{testSecretARN + "\n", false},
		{"arn:aws:kms:eu-west-1:123456789012:key/abc", false},
		{"arn:aws:ssm:eu-west-1:123456789012:document/x", false},
		{"arn:aws:secretsmanager:eu-west-1:12345:secret:x", false},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:", false},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x y", false},
		// Second pass: another service's ARN, a line break or HCL template
		// syntax inside an otherwise good ARN (Render would escape them, but a
		// sensitive input never gets that far).
		{"arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::bucket/arn:aws:ssm:eu-west-1:123456789012:parameter/x", false},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/x\nmodule \"y\" {", false},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:${file(\"/etc/passwd\")}", false},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:%{ if true }x%{ endif }", false},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x\"", false},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/x\x00", false},
	}
	for _, tt := range tests {
		if got := IsSecretRef(tt.in); got != tt.want {
			t.Errorf("IsSecretRef(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// sensitiveModule has sensitive inputs that follow the convention, one with
// a validation whose message would repeat the value.
func sensitiveModule(t *testing.T) *Module {
	t.Helper()
	cat, err := Load(fstest.MapFS{
		"app/README.md": {Data: []byte("# app\n")},
		"app/variables.tf": {Data: []byte(`
variable "project" { type = string }
variable "environment" { type = string }
variable "request_id" { type = string }
variable "db_password_arn" {
  type      = string
  default   = null
  sensitive = true
}
variable "secret_arns" {
  type      = map(string)
  default   = {}
  sensitive = true
}
variable "token_arn" {
  type      = string
  default   = null
  sensitive = true
  validation {
    condition     = var.token_arn == null || can(regex(":us-east-1:", var.token_arn))
    error_message = "${var.token_arn} is not in us-east-1."
  }
}
`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return mustModule(t, cat, "app")
}

func TestResolveSensitiveTakesOnlyReferences(t *testing.T) {
	m := sensitiveModule(t)
	const ssm = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/key"
	tests := []struct {
		name    string
		raw     map[string]string
		want    map[string]string
		wantErr InputErrors
	}{
		{"secret ARN", map[string]string{"db_password_arn": testSecretARN}, map[string]string{"db_password_arn": testSecretARN}, nil},
		{"parameter ARN", map[string]string{"db_password_arn": ssm}, map[string]string{"db_password_arn": ssm}, nil},
		{"plain secret", map[string]string{"db_password_arn": "hunter2"}, nil, InputErrors{{"db_password_arn", SecretRefReason}}},
		{"another kind of ARN", map[string]string{"db_password_arn": "arn:aws:kms:eu-west-1:123456789012:key/abc"}, nil, InputErrors{{"db_password_arn", SecretRefReason}}},
		{"map of ARNs", map[string]string{"secret_arns": "DB=" + testSecretARN + ", KEY=" + ssm}, map[string]string{"secret_arns": "DB=" + testSecretARN + ", KEY=" + ssm}, nil},
		{"a plain secret in a map", map[string]string{"secret_arns": "DB=" + testSecretARN + ", KEY=hunter2"}, nil, InputErrors{{"secret_arns", SecretRefReason}}},
		// The map parser's own message quotes the item; a sensitive input's must not.
		{"unreadable map", map[string]string{"secret_arns": "hunter2"}, nil, InputErrors{{"secret_arns", "cannot be read as map(string) (the value is not repeated: the input is sensitive)"}}},
		{"message not evaluated on the value", map[string]string{"token_arn": testSecretARN}, nil, InputErrors{{"token_arn", "(sensitive) is not in us-east-1."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Resolve(tt.raw)
			var gotErr InputErrors
			if err != nil {
				gotErr = err.(InputErrors)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderRefusesPlainSecret(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	_, err := Render(m, testSpec(map[string]string{"name": "orders", "password_arn": "hunter2-secret"}))
	if diff := cmp.Diff(InputErrors{{"password_arn", SecretRefReason}}, err); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestRenderMaskHidesSensitiveValues(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	spec := testSpec(map[string]string{"name": "orders", "password_arn": testSecretARN})
	spec.Redact = true
	f, err := Render(m, spec)
	if err != nil {
		t.Fatal(err)
	}
	got := string(f.Content)
	if strings.Contains(got, "orders-db") || !strings.Contains(got, `password_arn = "(sensitive)"`) || !strings.Contains(got, `name         = "orders"`) {
		t.Errorf("masked file:\n%s", got)
	}
	// A bad value is still refused when masking.
	spec.Values["password_arn"] = "hunter2"
	if _, err := Render(m, spec); err == nil {
		t.Error("masked render accepted a plain secret")
	}
}

func TestIsSensitive(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	for key, want := range map[string]bool{"password_arn": true, "passwordArn": true, "Password ARN": true, "name": false, "nosuch": false} {
		if got := m.IsSensitive(key); got != want {
			t.Errorf("IsSensitive(%q) = %v, want %v", key, got, want)
		}
	}
}
