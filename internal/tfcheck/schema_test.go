package tfcheck

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	tfjson "github.com/hashicorp/terraform-json"
)

const (
	schemaFile  = "testdata/aws-provider-6.48.0-schema.json.gz"
	awsProvider = "registry.terraform.io/hashicorp/aws"
)

// terraformDirs are the folders, relative to the repository root, whose .tf files
// the tests guard.
var terraformDirs = []string{"modules", "envs", "deploy/terraform"}

// Meta-arguments Terraform itself handles; they are not in any provider schema.
var (
	resourceMetaArgs   = []string{"count", "for_each", "depends_on", "provider"}
	resourceMetaBlocks = []string{"lifecycle", "provisioner", "connection"}
	providerMetaArgs   = []string{"alias", "version"}
)

var loadSchema = sync.OnceValues(func() (*tfjson.ProviderSchema, error) {
	f, err := os.Open(schemaFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("gunzip %s: %w", schemaFile, err)
	}
	var schemas tfjson.ProviderSchemas
	if err := json.NewDecoder(zr).Decode(&schemas); err != nil {
		return nil, fmt.Errorf("decode %s: %w", schemaFile, err)
	}
	ps, ok := schemas.Schemas[awsProvider]
	if !ok {
		return nil, fmt.Errorf("%s has no schema for %s", schemaFile, awsProvider)
	}
	return ps, nil
})

func providerSchema(t *testing.T) *tfjson.ProviderSchema {
	t.Helper()
	ps, err := loadSchema()
	if err != nil {
		t.Fatalf("load provider schema: %v", err)
	}
	return ps
}

// repoRoot is the repository root: this package lives two levels below it.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// terraformFiles returns every .tf file under terraformDirs, relative to root, sorted.
func terraformFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, dir := range terraformDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".tf") {
				rel, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", dir, err)
		}
	}
	sort.Strings(files)
	return files
}

// checkFile parses one Terraform file and returns one "file:line: problem" line per
// block that does not match the provider schema.
func checkFile(ps *tfjson.ProviderSchema, filename string, src []byte) []string {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return []string{diags.Error()}
	}
	c := &checker{schema: ps}
	body := file.Body.(*hclsyntax.Body)
	for _, block := range body.Blocks {
		c.checkTopBlock(block)
	}
	hclsyntax.VisitAll(body, func(node hclsyntax.Node) hcl.Diagnostics {
		if expr, ok := node.(*hclsyntax.ScopeTraversalExpr); ok {
			c.checkReference(expr.Traversal)
		}
		return nil
	})
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].line < c.problems[j].line })
	out := make([]string, len(c.problems))
	for i, p := range c.problems {
		out[i] = fmt.Sprintf("%s:%d: %s", filename, p.line, p.msg)
	}
	return out
}

type problem struct {
	line int
	msg  string
}

type checker struct {
	schema   *tfjson.ProviderSchema
	problems []problem
}

func (c *checker) report(rng hcl.Range, format string, args ...any) {
	c.problems = append(c.problems, problem{line: rng.Start.Line, msg: fmt.Sprintf(format, args...)})
}

func (c *checker) checkTopBlock(block *hclsyntax.Block) {
	switch block.Type {
	case "resource", "data":
		if len(block.Labels) != 2 {
			c.report(block.DefRange(), "%s block needs a type and a name label", block.Type)
			return
		}
		kind, schemas := "resource", c.schema.ResourceSchemas
		if block.Type == "data" {
			kind, schemas = "data source", c.schema.DataSourceSchemas
		}
		typ := block.Labels[0]
		s, ok := schemas[typ]
		if !ok || s.Block == nil {
			c.report(block.DefRange(), "unknown %s type %q", kind, typ)
			return
		}
		where := fmt.Sprintf("%s.%s", typ, block.Labels[1])
		if block.Type == "data" {
			where = "data." + where
		}
		if s.Block.Deprecated {
			c.report(block.DefRange(), "%s: %s type %q is deprecated", where, kind, typ)
		}
		c.checkBody(where, block.Body, s.Block, resourceMetaArgs, resourceMetaBlocks)
	case "provider":
		if len(block.Labels) == 1 && block.Labels[0] == "aws" && c.schema.ConfigSchema != nil {
			c.checkBody("provider.aws", block.Body, c.schema.ConfigSchema.Block, providerMetaArgs, nil)
		}
	}
}

// checkBody checks the arguments and nested blocks of body against schema; metaArgs
// and metaBlocks are skipped (they only exist at the top of a resource).
func (c *checker) checkBody(where string, body *hclsyntax.Body, schema *tfjson.SchemaBlock, metaArgs, metaBlocks []string) {
	for name, attr := range body.Attributes {
		if slices.Contains(metaArgs, name) {
			continue
		}
		s, ok := schema.Attributes[name]
		switch {
		case !ok && schema.NestedBlocks[name] != nil:
			c.report(attr.NameRange, "%s: %q is a block, not an argument", where, name)
		case !ok:
			c.report(attr.NameRange, "%s: unsupported argument %q", where, name)
		case s.Deprecated:
			c.report(attr.NameRange, "%s: argument %q is deprecated", where, name)
		case s.Computed && !s.Optional && !s.Required:
			c.report(attr.NameRange, "%s: argument %q is read-only", where, name)
		}
	}

	present := map[string]bool{}
	for _, block := range body.Blocks {
		if slices.Contains(metaBlocks, block.Type) {
			continue
		}
		name, content := block.Type, block.Body
		if block.Type == "dynamic" {
			if len(block.Labels) != 1 {
				c.report(block.DefRange(), "%s: dynamic block needs one label", where)
				continue
			}
			name, content = block.Labels[0], dynamicContent(block)
			if content == nil {
				c.report(block.DefRange(), "%s: dynamic %q has no content block", where, name)
				continue
			}
		}
		present[name] = true
		nested, ok := schema.NestedBlocks[name]
		switch {
		case !ok && schema.Attributes[name] != nil:
			c.report(block.DefRange(), "%s: %q is an argument, not a block (write %s = ...)", where, name, name)
			continue
		case !ok || nested.Block == nil:
			c.report(block.DefRange(), "%s: unsupported block %q", where, name)
			continue
		case nested.Block.Deprecated:
			c.report(block.DefRange(), "%s: block %q is deprecated", where, name)
		}
		c.checkBody(where+"."+name, content, nested.Block, nil, nil)
	}

	missing := hcl.Range{Filename: body.SrcRange.Filename, Start: body.SrcRange.Start}
	for _, name := range sortedKeys(schema.Attributes) {
		if schema.Attributes[name].Required && body.Attributes[name] == nil {
			c.report(missing, "%s: missing required argument %q", where, name)
		}
	}
	for _, name := range sortedKeys(schema.NestedBlocks) {
		if schema.NestedBlocks[name].MinItems > 0 && !present[name] {
			c.report(missing, "%s: missing required block %q", where, name)
		}
	}
}

// dynamicContent returns the body of a dynamic block's content block, or nil.
func dynamicContent(block *hclsyntax.Block) *hclsyntax.Body {
	for _, b := range block.Body.Blocks {
		if b.Type == "content" {
			return b.Body
		}
	}
	return nil
}

// checkReference reports a reference to a resource or data source attribute that
// does not exist or is deprecated, such as data.aws_region.current.name.
func (c *checker) checkReference(traversal hcl.Traversal) {
	var names []string
	for _, step := range traversal {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			names = append(names, s.Name)
		case hcl.TraverseAttr:
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	kind, schemas := "resource", c.schema.ResourceSchemas
	if names[0] == "data" {
		kind, schemas, names = "data source", c.schema.DataSourceSchemas, names[1:]
	}
	// names is now type, name, attribute, ...
	if len(names) < 3 {
		return
	}
	s, ok := schemas[names[0]]
	if !ok || s.Block == nil {
		return
	}
	attr, block := names[2], s.Block
	rng := traversal.SourceRange()
	ref := strings.Join(names[:3], ".")
	if a, ok := block.Attributes[attr]; ok {
		if a.Deprecated {
			c.report(rng, "reference to deprecated %s attribute %s", kind, ref)
		}
		return
	}
	if _, ok := block.NestedBlocks[attr]; !ok {
		c.report(rng, "reference to unknown %s attribute %s", kind, ref)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestModulesMatchProviderSchema(t *testing.T) {
	ps := providerSchema(t)
	root := repoRoot(t)
	files := terraformFiles(t, root)
	if len(files) == 0 {
		t.Fatalf("no .tf files under %v", terraformDirs)
	}
	for _, name := range files {
		src, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range checkFile(ps, name, src) {
			t.Error(p)
		}
	}
	t.Logf("checked %d Terraform files against AWS provider schema 6.48.0", len(files))
}

// TestCheckFileCatchesMistakes proves each check fires: a checker that never
// reports would let TestModulesMatchProviderSchema pass on anything.
func TestCheckFileCatchesMistakes(t *testing.T) {
	ps := providerSchema(t)
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "valid resource with meta-arguments and dynamic block",
			src: `resource "aws_sqs_queue" "q" {
  count = 1
  name  = "q"
  lifecycle {
    prevent_destroy = true
  }
}
resource "aws_ecs_service" "s" {
  name = "s"
  dynamic "load_balancer" {
    for_each = []
    content {
      container_name = "c"
      container_port = 80
    }
  }
}`,
			want: []string{},
		},
		{
			name: "unknown resource type",
			src:  `resource "aws_s3_bukket" "b" {}`,
			want: []string{`t.tf:1: unknown resource type "aws_s3_bukket"`},
		},
		{
			name: "unknown data source type",
			src:  `data "aws_nope" "x" {}`,
			want: []string{`t.tf:1: unknown data source type "aws_nope"`},
		},
		{
			name: "unknown argument",
			src: `resource "aws_sqs_queue" "q" {
  visibility_timeout = 30
}`,
			want: []string{`t.tf:2: aws_sqs_queue.q: unsupported argument "visibility_timeout"`},
		},
		{
			name: "unknown argument inside a nested block",
			src: `resource "aws_s3_bucket_versioning" "v" {
  bucket = "b"
  versioning_configuration {
    status  = "Enabled"
    enabled = true
  }
}`,
			want: []string{`t.tf:5: aws_s3_bucket_versioning.v.versioning_configuration: unsupported argument "enabled"`},
		},
		{
			name: "unknown argument inside dynamic content",
			src: `resource "aws_ecs_service" "s" {
  name = "s"
  dynamic "load_balancer" {
    for_each = []
    content {
      container_name = "c"
      container_port = 80
      target_group   = "x"
    }
  }
}`,
			want: []string{`t.tf:8: aws_ecs_service.s.load_balancer: unsupported argument "target_group"`},
		},
		{
			name: "unknown nested block",
			src: `resource "aws_sqs_queue" "q" {
  redrive {
  }
}`,
			want: []string{`t.tf:2: aws_sqs_queue.q: unsupported block "redrive"`},
		},
		{
			name: "missing required argument",
			src:  `resource "aws_iam_role" "r" {}`,
			want: []string{`t.tf:1: aws_iam_role.r: missing required argument "assume_role_policy"`},
		},
		{
			name: "missing required argument inside a nested block",
			src: `resource "aws_s3_bucket_ownership_controls" "o" {
  bucket = "b"
  rule {
  }
}`,
			want: []string{`t.tf:3: aws_s3_bucket_ownership_controls.o.rule: missing required argument "object_ownership"`},
		},
		{
			name: "missing required block",
			src: `resource "aws_s3_bucket_versioning" "v" {
  bucket = "b"
}`,
			want: []string{`t.tf:1: aws_s3_bucket_versioning.v: missing required block "versioning_configuration"`},
		},
		{
			name: "deprecated argument",
			src: `resource "aws_iam_role" "r" {
  assume_role_policy  = "{}"
  managed_policy_arns = []
}`,
			want: []string{`t.tf:3: aws_iam_role.r: argument "managed_policy_arns" is deprecated`},
		},
		{
			name: "deprecated block",
			src: `resource "aws_s3_bucket" "b" {
  versioning {
    enabled = true
  }
}`,
			want: []string{`t.tf:2: aws_s3_bucket.b: block "versioning" is deprecated`},
		},
		{
			name: "deprecated block written as dynamic",
			src: `resource "aws_iam_role" "r" {
  assume_role_policy = "{}"
  dynamic "inline_policy" {
    for_each = []
    content {
      policy = "{}"
    }
  }
}`,
			want: []string{`t.tf:3: aws_iam_role.r: block "inline_policy" is deprecated`},
		},
		{
			name: "read-only argument",
			src: `resource "aws_sqs_queue" "q" {
  arn = "x"
}`,
			want: []string{`t.tf:2: aws_sqs_queue.q: argument "arn" is read-only`},
		},
		{
			name: "deprecated attribute reference",
			src: `data "aws_region" "current" {}
resource "aws_sqs_queue" "q" {
  name = data.aws_region.current.name
}`,
			want: []string{`t.tf:3: reference to deprecated data source attribute aws_region.current.name`},
		},
		{
			name: "unknown attribute reference",
			src: `resource "aws_sqs_queue" "q" {}
resource "aws_sqs_queue" "r" {
  name = aws_sqs_queue.q[0].queue_url
}`,
			want: []string{`t.tf:3: reference to unknown resource attribute aws_sqs_queue.q.queue_url`},
		},
		{
			name: "provider block",
			src: `provider "aws" {
  region = "eu-west-1"
  alias  = "x"
  default_tag {
  }
}`,
			want: []string{`t.tf:4: provider.aws: unsupported block "default_tag"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkFile(ps, "t.tf", []byte(tt.src))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("checkFile problems (-want +got):\n%s", diff)
			}
		})
	}
}
