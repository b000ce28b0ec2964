package console

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
	"github.com/tfpilot/tfpilot/registry"
)

// sessionOn is session over the module catalogue fsys instead of the flow
// fakes' one.
func sessionOn(t *testing.T, fsys fs.FS, user, script string) (string, []*flow.Request) {
	t.Helper()
	ports := flowtest.NewPorts()
	cats, err := flowtest.CatalogsFromFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	ports.Catalogs = cats
	return sessionWith(t, ports, user, script)
}

// repoModules is the repository's own module catalogue, which `bot local`
// serves.
func repoModules() fs.FS { return os.DirFS("../../modules") }

// TestTypedCollections checks every way a key=value line writes a list or
// a map, from the typed text to the HCL value in the request's file, along
// the console's path: parseLine, the module's Resolve (as the engine does)
// and Render (the engine's preview). registry's TestCollectionSyntax covers
// the same texts as a form sends them.
func TestTypedCollections(t *testing.T) {
	cat, err := registry.Load(os.DirFS("../../registry/testdata/catalog"))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := cat.Module("widget")
	if !ok {
		t.Fatal("no widget module in registry/testdata/catalog")
	}
	tests := []struct {
		typed string
		field string
		want  string // rendered HCL, or the error
	}{
		{`tags={a=b, c="d e"}`, "tags", `{ a = "b" c = "d e" }`},
		{`tags={"a"="b"}`, "tags", `{ a = "b" }`},
		{`tags={a:b}`, "tags", `{ a = "b" }`},
		{`tags={"a":"b"}`, "tags", `{ a = "b" }`},
		{`tags={"team": "pay ments", "tier": "gold"}`, "tags", `{ team = "pay ments" tier = "gold" }`},
		{`tags = { a = b, c = "d e" }`, "tags", `{ a = "b" c = "d e" }`},
		{"tags={\n  a = b\n  c = \"d e\"\n}", "tags", `{ a = "b" c = "d e" }`},
		{`tags="a=b, c=d e"`, "tags", `{ a = "b" c = "d e" }`},
		{`tags='a=b, c="d, e"'`, "tags", `{ a = "b" c = "d, e" }`},
		{`tags=a=b,c=d`, "tags", `{ a = "b" c = "d" }`},
		{`tags=company:team=payments`, "tags", `{ "company:team" = "payments" }`},
		{`Tags = {a = b}`, "tags", `{ a = "b" }`},
		{`tags={}`, "tags", `{}`},
		{`tags=`, "tags", `{}`},
		{`subnet_ids=[subnet-a, subnet-b]`, "subnet_ids", `["subnet-a", "subnet-b"]`},
		{`subnet_ids=["subnet-a","subnet-b"]`, "subnet_ids", `["subnet-a", "subnet-b"]`},
		{`subnet_ids=subnet-a,subnet-b`, "subnet_ids", `["subnet-a", "subnet-b"]`},
		{`subnet_ids="subnet-a, subnet-b"`, "subnet_ids", `["subnet-a", "subnet-b"]`},
		{`Subnet Ids = [subnet-a, subnet-b]`, "subnet_ids", `["subnet-a", "subnet-b"]`},
		{`subnetIds=[]`, "subnet_ids", `[]`},
		{`ports=[443, 80]`, "ports", `[80, 443]`},
		{`ports="443, 80"`, "ports", `[80, 443]`},
		{`tags={a=b`, "tags", "unbalanced brackets in value"},
		{`tags="{a=b"`, "tags", "tags: starts with { but does not end with }; expected key=value pairs separated by commas, like team=payments, tier=gold"},
		{`subnet_ids=[subnet-a`, "subnet_ids", "unbalanced brackets in value"},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			got, err := typedValue(t, m, tt.typed, tt.field)
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.typed, diff)
			}
		})
	}
}

// typedValue reads one typed line and returns the HCL of field's value in
// the request file it leads to, on one line.
func typedValue(t *testing.T, m *registry.Module, typed, field string) (string, error) {
	t.Helper()
	l, err := parseLine(typed)
	if err != nil {
		return "", err
	}
	if l.kind != lineAssign {
		t.Fatalf("parseLine(%q) is kind %d, not key=value", typed, l.kind)
	}
	canon, err := m.Resolve(l.inputs)
	if err != nil {
		return "", err
	}
	canon["name"] = "orders"
	f, err := registry.Render(m, registry.RenderSpec{
		RequestID: "0190f5e4-8c2a-7b3d-9e4f-123456789abc", Project: "payments", Environment: "dev",
		Requester: "U1", CreatedAt: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), Values: canon,
	})
	if err != nil {
		return "", err
	}
	hf, diags := hclwrite.ParseConfig(f.Content, f.Path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("rendered file does not parse: %v\n%s", diags, f.Content)
	}
	a := hf.Body().Blocks()[0].Body().GetAttribute(field)
	if a == nil {
		return "", errors.New("the file has no " + field)
	}
	return strings.Join(strings.Fields(string(a.Expr().BuildTokens(nil).Bytes())), " "), nil
}

// TestConsoleTypedMapAndSpacedKey: the reported session. A map typed with
// braces becomes those tags in the file, not a key "{a"; a key written as
// words on a line of its own sets the input it names.
func TestConsoleTypedMapAndSpacedKey(t *testing.T) {
	out, rs := sessionOn(t, repoModules(), "U1", strings.Join([]string{
		"/tfpilot new s3-bucket env=dev name=logs",
		`tags={a=b, c="d e"}`,
		"/tfpilot status last",
		"/tfpilot new sqs-queue env=dev",
		"Visibility Timeout = 60",
	}, "\n"))
	if len(rs) != 2 {
		t.Fatalf("%d requests, want 2; output:\n%s", len(rs), out)
	}
	if diff := cmp.Diff(map[string]string{"name": "logs", "tags": `a=b, c=d e`}, rs[0].Inputs); diff != "" {
		t.Errorf("s3-bucket inputs (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	if diff := cmp.Diff(map[string]string{"visibility_timeout_seconds": "60"}, rs[1].Inputs); diff != "" {
		t.Errorf("sqs-queue inputs (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	for _, want := range []string{"      tags = {\n        a = \"b\"\n        c = \"d e\"\n      }\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"{a"`) || strings.Contains(out, "input problems") || strings.Contains(out, "expected =") {
		t.Errorf("output shows a misread line; output:\n%s", out)
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", maxLine+1)
	tests := []struct {
		in   string
		want []string // text of each line, then "size N" for a refused one
	}{
		{"", nil},
		{"a\nb\n", []string{"a", "b"}},
		{"a\r\nb", []string{"a", "b"}},
		{"\n\n", []string{"", ""}},
		{"a\r", []string{"a"}},
		{"a\rb\n", []string{"a\rb"}},
		{strings.Repeat("y", maxLine) + "\r\nz", []string{strings.Repeat("y", maxLine), "z"}},
		{long + "\nafter\n", []string{strings.Repeat("x", 39) + "…", "size 1048577", "after"}},
		{"é" + long + "\r\n", []string{"é" + strings.Repeat("x", 38) + "…", "size 1048579"}},
	}
	for _, tt := range tests {
		r := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
		var got []string
		for {
			text, size, err := readLine(r)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, text)
			if size > maxLine {
				got = append(got, fmt.Sprintf("size %d", size))
			} else if size != len(text) {
				t.Errorf("size %d for a line of %d bytes", size, len(text))
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("readLine over %.20q… (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestConsoleLongInput: a line of 2 MB is refused and the session goes on;
// a 100 KB key is not echoed whole; a 100 KB name is told the name's own
// limit, not the 64 KiB every value has.
func TestConsoleLongInput(t *testing.T) {
	out, rs := sessionOn(t, repoModules(), "U1", strings.Join([]string{
		"/tfpilot new s3-bucket env=dev",
		"tags=" + strings.Repeat("a", 2<<20),
		strings.Repeat("k", 100_000) + "=1",
		"name=" + strings.Repeat("n", 100_000),
		"/whoami",
	}, "\n"))
	for _, want := range []string{
		"that line is 2097157 bytes, more than the 1048576 a line may have, so nothing on it was read; shorten it (no input takes a value that long)\n",
		"  " + strings.Repeat("k", 39) + "…: unknown input; inputs are: name, ",
		"  name: name must be 2 to 40 characters: lowercase letters, digits and hyphens",
		"You are U1.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%.3000s", want, out)
		}
	}
	if strings.Contains(out, "65536") {
		t.Errorf("output names the 64 KiB bound of any value, not the name's own limit; output:\n%.3000s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if len(l) > 600 {
			t.Errorf("output line of %d bytes: %.100q…", len(l), l)
		}
	}
	if len(rs) != 1 || len(rs[0].Inputs) != 0 {
		t.Errorf("requests = %d, want one with no inputs set", len(rs))
	}
}

// TestConsoleNamesAndReplies: the start of a label finds the request and
// says which; a wrong module or environment gets "did you mean"; a
// key=value line is answered with the inputs' own names, and a value that
// is already set is said to be unchanged.
func TestConsoleNamesAndReplies(t *testing.T) {
	out, rs := sessionOn(t, repoModules(), "U1", strings.Join([]string{
		"/tfpilot new sqs-queue env=dev",
		"/tfpilot status 0000000000",
		"/tfpilot status 0a1b2c3d",
		"Visibility Timeout = 60",
		"visibilityTimeout=60",
		"visibility_timeout_seconds=60 fifo=yes",
		"name=orders",
		"name=orders",
		"Max Receive Count = 7 name=orders",
		"Max Receive Count = 7",
		"/tfpilot new s3bucket env=dev",
		"/tfpilot new s3-bucket env=Prod name=logs",
		"/tfpilot new s3-bucket env=dev name=logs",
		"/tfpilot status 0000000000",
	}, "\n"))
	if len(rs) != 2 {
		t.Fatalf("%d requests, want 2; output:\n%s", len(rs), out)
	}
	l := registry.Label(rs[0].ID)
	for _, want := range []string{
		"0000000000 is request " + l + ".\n== Create sqs-queue in dev ==",
		`there is no request "0a1b2c3d"; a request is named by its ID or its 12-character label, like 0a1b2c3d4e5f, or their first 6 or more characters (/tfpilot list shows them)`,
		"[" + l + "] set visibility_timeout_seconds. Still needed: name.\n",
		"[" + l + "] visibility_timeout_seconds already has that value; nothing changed. Still needed: name.\n",
		"[" + l + "] set fifo_queue; visibility_timeout_seconds already has that value. Still needed: name.\n",
		"[" + l + "] name already has that value; nothing changed.\n",
		`a name with spaces like "Max Receive Count" must be on a line of its own; quote a value that has spaces, or write max_receive_count=value on a shared line (type help)`,
		"[" + l + "] set max_receive_count. /tfpilot status " + l + " shows the updated request.\n",
		`there is no module "s3bucket" in demo (did you mean s3-bucket?); the modules are ecs-service, iam-role-app, s3-bucket, sqs-queue`,
		`there is no environment "Prod" (did you mean prod?); use one of dev, prod, sandbox, e.g. /tfpilot new s3-bucket env=prod`,
		`"0000000000" is the start of more than one request (` + l + ", " + registry.Label(rs[1].ID) + "); type more of the label",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
	want := map[string]string{"name": "orders", "visibility_timeout_seconds": "60", "fifo_queue": "true", "max_receive_count": "7"}
	if diff := cmp.Diff(want, rs[0].Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}
