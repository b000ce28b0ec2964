package ghfake

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	tfModule = `resource "aws_s3_bucket" "this" {
  bucket = var.name
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
}
`
	tfA       = "module \"tfpilot_a\" {\n  source = \"../../modules/bucket\"\n  name   = \"a\"\n}\n"
	tfAEdited = "module \"tfpilot_a\" {\n  source = \"../../modules/bucket\"\n  name   = \"a2\"\n}\n"
	tfB       = "module \"tfpilot_b\" {\n  source = \"../../modules/bucket\"\n  name   = \"b\"\n}\n"
	tfHand    = "resource \"aws_iam_role\" \"ci\" {\n  name = \"ci\"\n}\n"
	tfReg     = "module \"tfpilot_r\" {\n  source = \"terraform-aws-modules/s3-bucket/aws\"\n}\n"
)

// tfStep plans branch (run in env, dev by default) and compares the plan's
// changes with want, or applies the plan of step number apply (1-based)
// and compares the apply's conclusion (and error) with want; state is the
// environment's state afterwards.
type tfStep struct {
	plan, env string
	apply     int
	want      []string
	state     []string
}

// planChanges lists a plan run's resource changes other than no-ops as
// "<action> <address>", from the plan.json of its artifact, and then the
// last line of its plan.txt.
func planChanges(t *testing.T, f *Fake, id int64) []string {
	t.Helper()
	var plan struct {
		ResourceChanges []struct {
			Address string
			Change  struct{ Actions []string }
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(artifactFile(t, f, id, "plan.json"), &plan); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(artifactFile(t, f, id, "plan.txt"))), "\n")
	summary := lines[len(lines)-1]
	var out []string
	for _, c := range plan.ResourceChanges {
		if a := strings.Join(c.Change.Actions, ","); a != "no-op" {
			out = append(out, a+" "+c.Address)
		}
	}
	return append(out, summary)
}

// TestFakeTerraformState: a plan is its commit's configuration against what
// successful applies left in the environment's state, so a module applied
// from an unmerged branch shows as deleted in other plans; a saved plan
// made before the state changed fails to apply.
func TestFakeTerraformState(t *testing.T) {
	a := []string{"module.tfpilot_a.aws_s3_bucket.this", "module.tfpilot_a.aws_s3_bucket_versioning.this"}
	b := []string{"module.tfpilot_b.aws_s3_bucket.this", "module.tfpilot_b.aws_s3_bucket_versioning.this"}
	each := func(action string, addrs []string) []string {
		var out []string
		for _, a := range addrs {
			out = append(out, action+" "+a)
		}
		return out
	}
	cat := func(ls ...[]string) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l...)
		}
		return out
	}
	counts := func(add, change, destroy int) []string {
		if add+change+destroy == 0 {
			return []string{"No changes. Your infrastructure matches the configuration."}
		}
		return []string{fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", add, change, destroy)}
	}
	tests := []struct {
		name  string
		steps []tfStep
	}{
		{name: "an applied but unmerged module is deleted by other plans", steps: []tfStep{
			{plan: "a", want: cat(each("create", a), counts(2, 0, 0))},
			{apply: 1, want: []string{"success"}, state: a},
			{plan: "b", want: cat(each("delete", a), each("create", b), counts(2, 0, 2)), state: a},
			{plan: "main", want: cat(each("delete", a), counts(0, 0, 2)), state: a},
			{plan: "a", want: counts(0, 0, 0), state: a},
		}},
		{name: "an apply writes its plan's commit, deletes included", steps: []tfStep{
			{plan: "a", want: cat(each("create", a), counts(2, 0, 0))},
			{apply: 1, want: []string{"success"}, state: a},
			{plan: "b", want: cat(each("delete", a), each("create", b), counts(2, 0, 2)), state: a},
			{apply: 3, want: []string{"success"}, state: b},
			{plan: "a", want: cat(each("create", a), each("delete", b), counts(2, 0, 2)), state: b},
		}},
		{name: "a saved plan made before the state changed is stale", steps: []tfStep{
			{plan: "a", want: cat(each("create", a), counts(2, 0, 0))},
			{plan: "b", want: cat(each("create", b), counts(2, 0, 0))},
			{apply: 1, want: []string{"success"}, state: a},
			{apply: 2, want: []string{"failure", "Saved plan is stale"}, state: a},
		}},
		{name: "an edited block updates its resources", steps: []tfStep{
			{plan: "a", want: cat(each("create", a), counts(2, 0, 0))},
			{apply: 1, want: []string{"success"}, state: a},
			{plan: "a-edited", want: cat(each("update", a), counts(0, 2, 0)), state: a},
		}},
		{name: "environments have their own state", steps: []tfStep{
			{plan: "a", want: cat(each("create", a), counts(2, 0, 0))},
			{apply: 1, want: []string{"success"}, state: a},
			{plan: "main", env: "prod", want: counts(0, 0, 0), state: nil},
		}},
		{name: "hand-written resources and registry modules", steps: []tfStep{
			{plan: "hand", want: []string{"create aws_iam_role.ci", "create module.tfpilot_r.terraform_data.this", counts(2, 0, 0)[0]}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(t)
			f.AddRepo("o", "r", "main", map[string]string{"modules/bucket/main.tf": tfModule,
				"envs/dev/backend.tf": "terraform {\n  backend \"s3\" {}\n}\n", "envs/prod/backend.tf": "terraform {\n  backend \"s3\" {}\n}\n"})
			for br, files := range map[string]map[string]string{
				"a": {"envs/dev/tfpilot_a.tf": tfA}, "a-edited": {"envs/dev/tfpilot_a.tf": tfAEdited},
				"b": {"envs/dev/tfpilot_b.tf": tfB}, "hand": {"envs/dev/hand.tf": tfHand, "envs/dev/tfpilot_r.tf": tfReg},
			} {
				f.mu.Lock()
				rp := f.repos["o/r"]
				rp.refs["heads/"+br] = rp.refs["heads/main"]
				f.mu.Unlock()
				f.CommitToBranch("o/r", br, files)
			}
			var ids []int64
			for i, s := range tt.steps {
				env := s.env
				if env == "" {
					env = "dev"
				}
				var got []string
				if s.plan != "" {
					id := f.AddRun("o/r", "plan", s.plan, map[string]string{"request_id": s.plan, "environment": env})
					f.CompleteRun(id, "success")
					ids = append(ids, id)
					got = planChanges(t, f, id)
				} else {
					id := f.AddRun("o/r", "apply", "main", map[string]string{"request_id": "x", "environment": env,
						"plan_run_id": strconv.FormatInt(ids[s.apply-1], 10)})
					f.CompleteRun(id, "success")
					ids = append(ids, id)
					f.mu.Lock()
					r := f.runs[id]
					got = []string{r.conclusion}
					if r.conclusion != "success" {
						got = append(got, strings.SplitN(strings.TrimPrefix(r.log, "Error: "), "\n", 2)[0])
					}
					f.mu.Unlock()
				}
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Errorf("step %d (-want +got):\n%s", i+1, diff)
				}
				if diff := cmp.Diff(s.state, f.State("o/r", env)); diff != "" {
					t.Errorf("state after step %d (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
}

// planAfter returns the planned values (after) of each changed address in a
// plan run's plan.json.
func planAfter(t *testing.T, f *Fake, id int64) map[string]string {
	t.Helper()
	var plan struct {
		ResourceChanges []struct {
			Address string
			Change  struct{ After json.RawMessage }
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(artifactFile(t, f, id, "plan.json"), &plan); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range plan.ResourceChanges {
		out[c.Address] = string(c.Change.After)
	}
	return out
}

// artifactFile returns file name of run id's plan artifact.
func artifactFile(t *testing.T, f *Fake, id int64, name string) []byte {
	t.Helper()
	f.mu.Lock()
	art := f.runs[id].artifact
	f.mu.Unlock()
	zr, err := zip.NewReader(bytes.NewReader(art), int64(len(art)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("run %d's artifact has no %s", id, name)
	return nil
}

// TestFakePlanValues: a resource's planned values are those of the block
// configuring it, so a module block planned next to other requests' blocks
// plans the same values, and an edited one plans others — as a Terraform
// plan's after values would (tfplan.Summarize digests them).
func TestFakePlanValues(t *testing.T) {
	f := New(t)
	f.AddRepo("o", "r", "main", map[string]string{"modules/bucket/main.tf": tfModule, "envs/dev/backend.tf": "terraform {\n  backend \"s3\" {}\n}\n"})
	plans := map[string]map[string]string{}
	for _, br := range []struct {
		name  string
		files map[string]string
	}{
		{"a", map[string]string{"envs/dev/tfpilot_a.tf": tfA}},
		{"ab", map[string]string{"envs/dev/tfpilot_a.tf": tfA, "envs/dev/tfpilot_b.tf": tfB}},
		{"a-edited", map[string]string{"envs/dev/tfpilot_a.tf": tfAEdited}},
	} {
		f.mu.Lock()
		rp := f.repos["o/r"]
		rp.refs["heads/"+br.name] = rp.refs["heads/main"]
		f.mu.Unlock()
		f.CommitToBranch("o/r", br.name, br.files)
		id := f.AddRun("o/r", "plan", br.name, map[string]string{"request_id": br.name, "environment": "dev"})
		f.CompleteRun(id, "success")
		plans[br.name] = planAfter(t, f, id)
	}
	const addr = "module.tfpilot_a.aws_s3_bucket.this"
	if a, ab := plans["a"][addr], plans["ab"][addr]; a == "" || a != ab {
		t.Errorf("%s plans %s alone and %s next to another block; want the same values", addr, a, ab)
	}
	if a, edited := plans["a"][addr], plans["a-edited"][addr]; a == edited {
		t.Errorf("%s plans the same values (%s) from an edited block", addr, a)
	}
}
