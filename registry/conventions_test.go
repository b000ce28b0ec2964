package registry

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestCheckConventions(t *testing.T) {
	var got []string
	for _, d := range Check(os.DirFS("testdata/conventions")) {
		got = append(got, d.Error())
	}
	want := []string{
		`leaky/variables.tf:16: variable "db_password" is sensitive but takes the secret itself, which would be committed to git: rename it "db_password_arn" and take the ARN of a Secrets Manager secret or SSM parameter that the module reads`,
		`leaky/variables.tf:22: variable "api_keys" is sensitive but takes the secrets themselves, which would be committed to git: rename it "api_keys_arns" and take ARNs of Secrets Manager secrets or SSM parameters that the module reads`,
		`leaky/variables.tf:29: variable "pin_arn" is sensitive but of type number, which cannot hold a reference: make it a string named "pin_arn" (or a list, set or map of strings named "pin_arns") taking ARNs of Secrets Manager secrets or SSM parameters that the module reads`,
		`leaky/variables.tf:35: variable "token_arn" is sensitive and its default is not the ARN of a Secrets Manager secret or SSM parameter: make the default null or such an ARN`,
		`sloppy/variables.tf: missing system input "environment"`,
		`sloppy/main.tf:6: variable "request_id" has no description`,
		`sloppy/main.tf:15: output "arn" has no description`,
		"sloppy/README.md: README does not list input `request_id`",
		"sloppy/README.md: README does not list output `arn`",
		"sloppy/main.tf:19: aws_kms_key.this is taggable but does not set tags",
		"sloppy/main.tf:23: aws_sqs_queue.this tags lack Environment",
		"sloppy/main.tf:23: aws_sqs_queue.this tags lack ManagedBy",
		"sloppy/main.tf:23: aws_sqs_queue.this tags lack TfPilotRequestId",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestCheckCleanAndEmpty(t *testing.T) {
	if ds := Check(os.DirFS("testdata/catalog")); len(ds) != 0 {
		t.Errorf("clean catalogue has problems:\n%v", ds)
	}
	if ds := Check(fstest.MapFS{}); len(ds) != 1 || ds[0].Message != "no module folders found" {
		t.Errorf("empty catalogue: %v", ds)
	}
	ds := Check(fstest.MapFS{"m/main.tf": {Data: []byte(`
variable "project" { description = "p" }
variable "environment" { description = "e" }
variable "request_id" { description = "r" }
resource "aws_s3_bucket" "b" {
  tags = { ManagedBy = "someone", TfPilotRequestId = var.request_id, Project = var.project, Environment = var.environment }
}
`)}, "m/README.md": {Data: []byte("`project` `environment` `request_id`")}})
	if len(ds) != 1 || ds[0].Error() != `m/main.tf:5: aws_s3_bucket.b tag ManagedBy must be "tfpilot"` {
		t.Errorf("wrong ManagedBy: %v", ds)
	}
}
