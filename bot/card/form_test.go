package card

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// TestFormNeverShowsSensitiveValues: a sensitive input's field is never
// pre-filled, shows no default, and its hint says it takes a reference.
func TestFormNeverShowsSensitiveValues(t *testing.T) {
	const def = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/default-token"
	const set = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf"
	cat, err := registry.Load(fstest.MapFS{
		"app/README.md": {Data: []byte("# app\n")},
		"app/variables.tf": {Data: []byte(`
variable "project" { type = string }
variable "environment" { type = string }
variable "request_id" { type = string }
variable "token_arn" {
  description = "Token."
  type        = string
  default     = "` + def + `"
  sensitive   = true
}
variable "db_password_arn" {
  description = "Database password."
  type        = string
  sensitive   = true
}
`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Module("app")
	r := &flow.Request{Inputs: map[string]string{"db_password_arn": set}, Sensitive: []string{"token_arn", "db_password_arn"}}
	hint := "Sensitive: " + registry.SecretRefReason + "; never shown again."
	want := []FormField{
		{Name: "token_arn", Label: "Token arn", Kind: FieldText, Hint: "Token. " + hint, Sensitive: true},
		{Name: "db_password_arn", Label: "Db password arn", Kind: FieldText, Hint: "Database password. " + hint, Required: true, Sensitive: true},
	}
	if diff := cmp.Diff(want, ForModule(m, r).Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
