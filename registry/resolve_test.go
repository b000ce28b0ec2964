package registry

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"visibility_timeout", "visibility_timeout"},
		{"visibilityTimeout", "visibility_timeout"},
		{"VisibilityTimeout", "visibility_timeout"},
		{"visibility-timeout", "visibility_timeout"},
		{"Visibility Timeout", "visibility_timeout"},
		{"  visibility  timeout ", "visibility_timeout"},
		{"VISIBILITY_TIMEOUT", "visibility_timeout"},
		{"kmsKeyARN", "kms_key_arn"},
		{"KMSKeyArn", "kms_key_arn"},
		{"subnet.ids", "subnet_ids"},
		{"s3Bucket2Name", "s3_bucket2_name"},
		{"__x__", "x"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalizeKey(tt.in); got != tt.want {
			t.Errorf("normalizeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	tests := []struct {
		name    string
		raw     map[string]string
		want    map[string]string
		wantErr InputErrors
	}{
		{"snake", map[string]string{"visibility_timeout_seconds": "120"}, map[string]string{"visibility_timeout_seconds": "120"}, nil},
		{"camel", map[string]string{"visibilityTimeoutSeconds": "120"}, map[string]string{"visibility_timeout_seconds": "120"}, nil},
		{"kebab", map[string]string{"visibility-timeout-seconds": "120"}, map[string]string{"visibility_timeout_seconds": "120"}, nil},
		{"words", map[string]string{"Visibility Timeout Seconds": " 120 "}, map[string]string{"visibility_timeout_seconds": "120"}, nil},
		{"squashed", map[string]string{"subnetids": ""}, map[string]string{"subnet_ids": ""}, nil},
		{"number canonical", map[string]string{"visibility_timeout_seconds": "1.20e2"}, map[string]string{"visibility_timeout_seconds": "120"}, nil},
		{"number zero", map[string]string{"visibility_timeout_seconds": "-0"}, map[string]string{"visibility_timeout_seconds": "0"}, nil},
		{"bool yes", map[string]string{"fifo": "Yes"}, map[string]string{"fifo": "true"}, nil},
		{"bool on", map[string]string{"fifo": "on"}, map[string]string{"fifo": "true"}, nil},
		{"bool off", map[string]string{"fifo": "OFF"}, map[string]string{"fifo": "false"}, nil},
		{"bool false", map[string]string{"fifo": "false"}, map[string]string{"fifo": "false"}, nil},
		{"list", map[string]string{"subnet_ids": "subnet-a,subnet-b , subnet-c"}, map[string]string{"subnet_ids": "subnet-a, subnet-b, subnet-c"}, nil},
		{"set of numbers sorted and deduplicated", map[string]string{"ports": "443, 80,443"}, map[string]string{"ports": "80, 443"}, nil},
		{"map", map[string]string{"tags": "team = payments, tier=gold=1"}, map[string]string{"tags": "team=payments, tier=gold=1"}, nil},
		{"empty map", map[string]string{"tags": " "}, map[string]string{"tags": ""}, nil},
		{"string kept verbatim", map[string]string{"comment": "  ${hi} \n"}, map[string]string{"comment": "  ${hi} \n"}, nil},
		{"object as JSON with optional default", map[string]string{"retry": `{"attempts": 3}`}, map[string]string{"retry": `{"attempts":3,"backoff":"exponential"}`}, nil},
		{"option", map[string]string{"mode": "priority"}, map[string]string{"mode": "priority"}, nil},
		{"several at once", map[string]string{"name": "orders", "fifo": "yes"}, map[string]string{"name": "orders", "fifo": "true"}, nil},

		{"bad number", map[string]string{"visibility_timeout_seconds": "soon"}, nil, InputErrors{{"visibility_timeout_seconds", `expected a number, like 30, got "soon"`}}},
		{"infinite number", map[string]string{"visibility_timeout_seconds": "Inf"}, nil, InputErrors{{"visibility_timeout_seconds", `number "Inf" is out of range`}}},
		{"bad bool", map[string]string{"fifo": "maybe"}, nil, InputErrors{{"fifo", `expected true or false (yes/no and on/off also work), got "maybe"`}}},
		{"empty list item", map[string]string{"subnet_ids": "subnet-a,,subnet-b"}, nil, InputErrors{{"subnet_ids", "item 2 is empty; expected a comma-separated list, like a, b, c"}}},
		{"bad list number", map[string]string{"ports": "80, http"}, nil, InputErrors{{"ports", `item 2: expected a number, like 30, got "http"`}}},
		{"bad map item", map[string]string{"tags": "team"}, nil, InputErrors{{"tags", `item 1 ("team") is not key=value; expected key=value pairs separated by commas, like team=payments, tier=gold`}}},
		{"duplicate map key", map[string]string{"tags": "a=1, a=2"}, nil, InputErrors{{"tags", `key "a" is given twice`}}},
		{"bad JSON", map[string]string{"retry": "3"}, nil, InputErrors{{"retry", `expected JSON matching object({ attempts = number backoff = optional(string, "exponential") }): object required, but have number`}}},
		{"invalid UTF-8", map[string]string{"comment": "\xff"}, nil, InputErrors{{"comment", "is not valid UTF-8 text"}}},
		{"too long", map[string]string{"comment": strings.Repeat("x", maxValueLen+1)}, nil, InputErrors{{"comment", "is too long (65537 bytes; at most 65536)"}}},
		{"too long for the module's own limit", map[string]string{"name": strings.Repeat("x", 100_000)}, nil, InputErrors{{"name", "name must be at most 40 characters (got 100000)."}}},
		{"too long, and more wrong", map[string]string{"name": strings.Repeat("X", 100_000)}, nil, InputErrors{
			{"name", "name must be lowercase letters, digits and hyphens, like orders."},
			{"name", "name must be at most 40 characters (got 100000)."},
		}},
		{"long unknown key clipped", map[string]string{strings.Repeat("k", 100_000): "1"}, nil, InputErrors{{strings.Repeat("k", 39) + "…", "unknown input; inputs are: name, fifo, visibility_timeout_seconds, mode, subnet_ids, ports, tags, kms_key_arn, comment, policy_json, retry, password_arn"}}},
		{"long system key clipped", map[string]string{"project" + strings.Repeat("_", 100_000): "x"}, nil, InputErrors{{"project" + strings.Repeat("_", 32) + "…", "is set by TfPilot and cannot be given"}}},
		{"long bad number clipped", map[string]string{"visibility_timeout_seconds": strings.Repeat("9x", 1000)}, nil, InputErrors{{"visibility_timeout_seconds", `expected a number, like 30, got "` + strings.Repeat("9x", 19) + `9…"`}}},
		{"long bad map item clipped", map[string]string{"tags": strings.Repeat("t", 1000)}, nil, InputErrors{{"tags", `item 1 ("` + strings.Repeat("t", 39) + `…") is not key=value; expected key=value pairs separated by commas, like team=payments, tier=gold`}}},

		{"leading words of one input", map[string]string{"visibility_timeout": "1"}, map[string]string{"visibility_timeout_seconds": "1"}, nil},
		{"leading words, camel", map[string]string{"visibilityTimeout": "2"}, map[string]string{"visibility_timeout_seconds": "2"}, nil},
		{"leading words, spaced", map[string]string{"Visibility Timeout": "3"}, map[string]string{"visibility_timeout_seconds": "3"}, nil},
		{"leading words, kebab", map[string]string{"visibility-timeout": "4"}, map[string]string{"visibility_timeout_seconds": "4"}, nil},
		{"a part of a word is no prefix", map[string]string{"visib": "1"}, nil, InputErrors{{"visib", "unknown input; inputs are: name, fifo, visibility_timeout_seconds, mode, subnet_ids, ports, tags, kms_key_arn, comment, policy_json, retry, password_arn"}}},
		{"typo suggests", map[string]string{"nmae": "x"}, nil, InputErrors{{"nmae", "unknown input; did you mean name?"}}},
		{"word suggests", map[string]string{"subnets": "x"}, nil, InputErrors{{"subnets", "unknown input; did you mean subnet_ids?"}}},
		{"far key lists inputs", map[string]string{"colour": "red"}, nil, InputErrors{{"colour", "unknown input; inputs are: name, fifo, visibility_timeout_seconds, mode, subnet_ids, ports, tags, kms_key_arn, comment, policy_json, retry, password_arn"}}},
		{"system input refused", map[string]string{"Project": "x", "request-id": "y"}, nil, InputErrors{{"Project", "is set by TfPilot and cannot be given"}, {"request-id", "is set by TfPilot and cannot be given"}}},
		{"same input twice", map[string]string{"fifo": "yes", "Fifo": "no"}, nil, InputErrors{{"fifo", `is given twice (as "Fifo" and "fifo")`}}},
		{"all problems at once", map[string]string{"fifo": "x", "nmae": "y", "name": "Bad_Name"}, nil, InputErrors{
			{"fifo", `expected true or false (yes/no and on/off also work), got "x"`},
			{"name", "name must be lowercase letters, digits and hyphens, like orders."},
			{"nmae", "unknown input; did you mean name?"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Resolve(tt.raw)
			var gotErr InputErrors
			if err != nil && !errors.As(err, &gotErr) {
				t.Fatalf("error is %T, want InputErrors", err)
			}
			if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if err == nil { // canonical values resolve to themselves
				again, err := m.Resolve(got)
				if err != nil || !cmp.Equal(got, again) {
					t.Errorf("Resolve(canonical) = %v, %v; want %v", again, err, got)
				}
			}
		})
	}
}

func TestValidationMessages(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	tests := []struct {
		field, value string
		want         []string // nil: accepted
	}{
		{"name", "orders", nil},
		{"name", "Orders", []string{"name must be lowercase letters, digits and hyphens, like orders."}},
		{"name", strings.Repeat("a", 41), []string{"name must be at most 40 characters (got 41)."}},
		{"name", strings.Repeat("A", 41), []string{"name must be lowercase letters, digits and hyphens, like orders.", "name must be at most 40 characters (got 41)."}},
		{"visibility_timeout_seconds", "43200", nil},
		{"visibility_timeout_seconds", "43201", []string{"visibility_timeout_seconds must be a whole number from 0 to 43200."}},
		{"visibility_timeout_seconds", "1.5", []string{"visibility_timeout_seconds must be a whole number from 0 to 43200."}},
		{"visibility_timeout_seconds", "-1", []string{"visibility_timeout_seconds must be a whole number from 0 to 43200."}},
		{"mode", "bulk", nil},
		{"mode", "fast", []string{"mode must be standard, priority or bulk."}},
		{"subnet_ids", "subnet-1, subnet-2", nil},
		{"subnet_ids", "subnet-1, sg-2", []string{"every subnet ID starts with subnet-."}},
		{"tags", "team=a", nil},
		{"tags", "AWS:thing=a", []string{"tag keys must not start with aws:."}},
		{"kms_key_arn", "arn:aws:kms:eu-west-1:123456789012:key/x", nil},
		{"kms_key_arn", "alias/x", []string{"kms_key_arn must be a KMS key ARN."}},
		{"policy_json", `{"Version": "2012-10-17"}`, nil},
		{"policy_json", `{"Version": `, []string{"policy_json must be valid JSON."}},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			_, err := m.Resolve(map[string]string{tt.field: tt.value})
			var got []string
			var ie InputErrors
			if errors.As(err, &ie) {
				for _, e := range ie {
					if e.Field != tt.field {
						t.Errorf("error on field %q, want %q", e.Field, tt.field)
					}
					got = append(got, e.Reason)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	m := mustModule(t, loadTestdata(t, "catalog"), "widget")
	if diff := cmp.Diff([]string{"name"}, m.Missing(map[string]string{"fifo": "true"})); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if got := m.Missing(map[string]string{"name": "x"}); got != nil {
		t.Errorf("Missing = %v, want nil", got)
	}
}

func TestInputErrorsFormat(t *testing.T) {
	es := InputErrors{{"a", "is bad"}, {"b", "is worse"}}
	if got, want := es.Error(), "a: is bad\nb: is worse"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func FuzzResolve(f *testing.F) {
	m := mustModule(f, loadTestdata(f, "catalog"), "widget")
	for _, s := range []string{"1", "yes", "a,b", "a=b, c=d", "", " , ", "1e5", `{"attempts":1}`, "${x}"} {
		f.Add("ports", s)
		f.Add("tags", s)
		f.Add("retry", s)
		f.Add("fifo", s)
		f.Add("comment", s)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		got, err := m.Resolve(map[string]string{key: value})
		if err != nil {
			return
		}
		again, err := m.Resolve(got)
		if err != nil {
			t.Fatalf("canonical %q does not resolve: %v", got, err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("Resolve is not idempotent (-first +second):\n%s", diff)
		}
	})
}

func FuzzNormalizeKeyShortcut(f *testing.F) {
	for _, s := range []string{"", "a", "a_b", "_a", "a_", "a__b", "visibility_timeout", "Visibility Timeout", "kms_key_id", "KMSKeyID", "a1_2b", "a-b", "ä_b", " a_b", "a_b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := normalizeKey(s), normalizeRunes(s); got != want {
			t.Errorf("normalizeKey(%q) = %q, the full rules give %q", s, got, want)
		}
	})
}

func TestClosest(t *testing.T) {
	modules := []string{"ecs-service", "iam-role-app", "s3-bucket", "sqs-queue"}
	envs := []string{"dev", "prod", "sandbox"}
	tests := []struct {
		typed string
		names []string
		want  string
	}{
		{"s3bucket", modules, "s3-bucket"},
		{"S3_Bucket", modules, "s3-bucket"},
		{"bucket", modules, "s3-bucket"},
		{"sqs", modules, "sqs-queue"},
		{"ecs-servce", modules, "ecs-service"},
		{"lambda", modules, ""},
		{"Prod", envs, "prod"},
		{"PROD", envs, "prod"},
		{"prd", envs, "prod"},
		{"sand-box", envs, "sandbox"},
		{"staging", envs, ""},
		{"", envs, ""},
		{"--", envs, ""},
		{strings.Repeat("prod", 25_000), envs, ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.typed, tt.names); got != tt.want {
			t.Errorf("Closest(%.20q, %v) = %q, want %q", tt.typed, tt.names, got, tt.want)
		}
	}
}
