package main

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{"real modules are clean", []string{"check", "--modules", "../../modules"}, 0, nil},
		{"conventions broken", []string{"check", "--modules", "../../registry/testdata/conventions"}, 1, []string{
			"sloppy/main.tf:19: aws_kms_key.this is taggable but does not set tags",
			`sloppy/variables.tf: missing system input "environment"`,
			"sloppy/README.md: README does not list input `request_id`",
			`sloppy/main.tf:6: variable "request_id" has no description`,
		}},
		{"load diagnostics", []string{"check", "--modules", "../../registry/testdata/broken"}, 1, []string{"crossref/variables.tf:10: validation of max may only refer to var.max"}},
		{"missing folder", []string{"check", "--modules", "does-not-exist"}, 1, []string{"module folder does-not-exist does not exist"}},
		{"bad flag", []string{"check", "--json"}, 2, []string{"bot check: flag provided but not defined: -json\nrun 'bot check -h' for its usage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmdForTest(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
