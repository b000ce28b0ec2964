package registry

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// These tests run over the repository's real modules in ../modules.

func loadRealModules(t *testing.T) *Catalog {
	t.Helper()
	cat, err := Load(os.DirFS("../modules"))
	if err != nil {
		t.Fatalf("Load(../modules): %v", err)
	}
	return cat
}

func TestRealModulesLoadAndFollowConventions(t *testing.T) {
	cat := loadRealModules(t)
	var names []string
	for _, m := range cat.Modules {
		names = append(names, m.Name)
		if m.Description == "" {
			t.Errorf("%s: no description in README", m.Name)
		}
	}
	if diff := cmp.Diff([]string{"ecs-service", "iam-role-app", "s3-bucket", "sqs-queue"}, names); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	if ds := Check(os.DirFS("../modules")); len(ds) > 0 {
		t.Errorf("Check(../modules):\n%v", ds)
	}
}

func TestRealModulesRenderGolden(t *testing.T) {
	cat := loadRealModules(t)
	tests := []struct {
		module string
		values map[string]string
	}{
		{"s3-bucket", map[string]string{"name": "invoices", "expirationDays": "90", "tags": "team=payments"}},
		{"sqs-queue", map[string]string{"name": "orders", "fifo queue": "yes", "visibility_timeout_seconds": "120"}},
		{"ecs-service", map[string]string{
			"name": "checkout", "cluster_arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/main",
			"subnet_ids": "subnet-0123456789abcdef0, subnet-0123456789abcdef1", "security_group_ids": "sg-0123456789abcdef0",
			"container_image":    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2",
			"execution_role_arn": "arn:aws:iam::123456789012:role/ecs-exec", "cpu": "512", "memory": "1024",
		}},
		{"iam-role-app", map[string]string{"name": "checkout", "trusted_service": "ecs-tasks", "managed_policy_arns": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			f, err := Render(mustModule(t, cat, tt.module), testSpec(tt.values))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "real-"+tt.module, f.Content)
		})
	}
}

func TestRealModulesRejectBadInput(t *testing.T) {
	cat := loadRealModules(t)
	tests := []struct {
		module string
		values map[string]string
		fields []string
	}{
		{"sqs-queue", map[string]string{"name": "orders", "visibility_timeout_seconds": "50000"}, []string{"visibility_timeout_seconds"}},
		{"sqs-queue", map[string]string{"name": "orders", "versioning_enabled": "true"}, []string{"versioning_enabled"}},
		{"s3-bucket", map[string]string{"name": "Invoices"}, []string{"name"}},
		{"ecs-service", map[string]string{"cpu": "300"}, []string{"cpu"}},
		{"iam-role-app", map[string]string{"trusted_service": "s3"}, []string{"trusted_service"}},
	}
	for _, tt := range tests {
		_, err := mustModule(t, cat, tt.module).Resolve(tt.values)
		var ie InputErrors
		if !errors.As(err, &ie) {
			t.Errorf("%s %v: err = %v, want InputErrors", tt.module, tt.values, err)
			continue
		}
		var fields []string
		for _, e := range ie {
			fields = append(fields, e.Field)
		}
		if diff := cmp.Diff(tt.fields, fields); diff != "" {
			t.Errorf("%s %v fields (-want +got):\n%s\n%v", tt.module, tt.values, diff, err)
		}
	}
}

func TestRealModulesDerivedNames(t *testing.T) {
	cat := loadRealModules(t)
	sqs := mustModule(t, cat, "sqs-queue")
	got, err := sqs.DerivedNames("payments", "prod", map[string]string{"name": "orders", "fifo_queue": "true"})
	if err != nil {
		t.Fatal(err)
	}
	want := []DerivedName{
		{"aws_sqs_queue.dead_letter", "payments-prod-orders-dlq.fifo"},
		{"aws_sqs_queue.this", "payments-prod-orders.fifo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sqs names (-want +got):\n%s", diff)
	}
	// DerivedNames checks the final name whatever the module's validations
	// say: an over-long name is an error that says by how much.
	_, err = sqs.DerivedNames(strings.Repeat("p", 20), "staging-eu-1", map[string]string{"name": strings.Repeat("n", 40), "fifo_queue": "true"})
	if err == nil || !strings.Contains(err.Error(), "-dlq.fifo\" is 83 characters, 3 more than an SQS queue name allows (80); shorten name by 3") {
		t.Errorf("long FIFO dead-letter name: err = %v", err)
	}
	s3 := mustModule(t, cat, "s3-bucket")
	_, err = s3.DerivedNames("payments", "prod", map[string]string{"name": strings.Repeat("b", 50)})
	if err == nil || !strings.Contains(err.Error(), "is 64 characters, 1 more than an S3 bucket name allows (63); shorten name by 1") {
		t.Errorf("long bucket name: err = %v", err)
	}
}

// TestRealSQSQueueNameLimitFitsFIFODeadLetterQueue: with the longest project
// (20) and environment (12) the modules accept, the longest name sqs-queue
// accepts still gives a FIFO dead-letter queue name within SQS's 80
// characters, and one character more is refused by the module itself.
func TestRealSQSQueueNameLimitFitsFIFODeadLetterQueue(t *testing.T) {
	sqs := mustModule(t, loadRealModules(t), "sqs-queue")
	project, env := strings.Repeat("p", 20), "staging-eu-1"
	if _, err := sqs.Resolve(map[string]string{"name": strings.Repeat("n", 38)}); err == nil || !strings.Contains(err.Error(), "name must be 2 to 37 characters") {
		t.Errorf("38-character name: err = %v, want the module's 37-character limit", err)
	}
	canon, err := sqs.Resolve(map[string]string{"name": strings.Repeat("n", 37), "fifo_queue": "true"})
	if err != nil {
		t.Fatalf("37-character name: %v", err)
	}
	names, err := sqs.DerivedNames(project, env, canon)
	if err != nil {
		t.Fatalf("DerivedNames at the limits: %v", err)
	}
	want := []DerivedName{
		{"aws_sqs_queue.dead_letter", project + "-" + env + "-" + strings.Repeat("n", 37) + "-dlq.fifo"},
		{"aws_sqs_queue.this", project + "-" + env + "-" + strings.Repeat("n", 37) + ".fifo"},
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if n := len(want[0].Name); n != 80 {
		t.Errorf("longest dead-letter name is %d characters, want exactly 80", n)
	}
}

// TestRealModulesKeyPrefixes: leading words name an input only when they name
// exactly one; "container" could be container_image or container_port.
func TestRealModulesKeyPrefixes(t *testing.T) {
	cat := loadRealModules(t)
	tests := []struct {
		module, key, want, wantErr string
	}{
		{"sqs-queue", "visibilityTimeout", "visibility_timeout_seconds", ""},
		{"sqs-queue", "fifo", "fifo_queue", ""},
		{"s3-bucket", "versioning", "versioning_enabled", ""},
		{"ecs-service", "container", "", "unknown input; did you mean"},
	}
	for _, tt := range tests {
		m, ok := cat.Module(tt.module)
		if !ok {
			t.Fatalf("no module %s", tt.module)
		}
		in, found := m.lookup(tt.key)
		switch {
		case tt.want != "" && (!found || in.Name != tt.want):
			t.Errorf("%s: %q names %v, want %s", tt.module, tt.key, in, tt.want)
		case tt.want == "" && found:
			t.Errorf("%s: %q names %s, want no input (ambiguous)", tt.module, tt.key, in.Name)
		case tt.wantErr != "" && !strings.Contains(m.unknownKeyReason(tt.key), tt.wantErr):
			t.Errorf("%s: %q: reason %q, want %q", tt.module, tt.key, m.unknownKeyReason(tt.key), tt.wantErr)
		}
	}
}
