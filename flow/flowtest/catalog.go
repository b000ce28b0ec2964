package flowtest

import (
	"context"
	"fmt"
	"io/fs"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Catalogs is a flow.Catalogs serving one catalogue for every project.
type Catalogs struct {
	Faults
	cat *registry.Catalog
}

var _ flow.Catalogs = (*Catalogs)(nil)

// NewCatalogs serves cat for every project.
func NewCatalogs(cat *registry.Catalog) *Catalogs { return &Catalogs{cat: cat} }

// CatalogsFromFS loads the modules at the root of fsys.
func CatalogsFromFS(fsys fs.FS) (*Catalogs, error) {
	cat, err := registry.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("load test catalogue: %w", err)
	}
	return NewCatalogs(cat), nil
}

// Catalog implements flow.Catalogs.
func (c *Catalogs) Catalog(ctx context.Context, project string) (*registry.Catalog, error) {
	if err := c.hit(ctx, "Catalog"); err != nil {
		return nil, err
	}
	return c.cat, nil
}

// SecretARN is a value the "secret" input of Modules takes: a sensitive
// input takes only a Secrets Manager or SSM parameter ARN.
const SecretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:logs-1-AbCdEf"

// Modules is a tiny module catalogue: module "bucket" with the system inputs,
// a required "name", an optional "versioning" and a sensitive "secret".
func Modules() fstest.MapFS {
	return fstest.MapFS{
		"bucket/README.md": {Data: []byte("# bucket\n\nA test bucket.\n")},
		"bucket/variables.tf": {Data: []byte(`variable "project" {
  type = string
}

variable "environment" {
  type = string
}

variable "request_id" {
  type = string
}

variable "name" {
  type        = string
  description = "Bucket name."
  validation {
    condition     = can(regex("^[a-z0-9-]{3,40}$", var.name))
    error_message = "Use 3-40 lowercase letters, digits or dashes."
  }
}

variable "versioning" {
  type    = bool
  default = true
}

variable "secret" {
  type      = string
  default   = ""
  sensitive = true
}
`)},
		"bucket/main.tf": {Data: []byte(`resource "aws_s3_bucket" "this" {
  bucket = var.name
  tags = {
    ManagedBy        = "tfpilot"
    TfPilotRequestId = var.request_id
    Project          = var.project
    Environment      = var.environment
  }
}
`)},
	}
}

// Policy is a test policy: project "demo"; "dev" needs one approval and
// allows self-approval, "prod" needs two and does not. U1 and U2 may
// request; U2, U3 and U4 approve; group S1 may approve in dev.
func Policy() flow.Policy {
	return flow.Policy{
		Projects: []flow.Project{{Name: "demo", Repo: "acme/infra", BaseBranch: "main"}},
		Environments: []flow.Environment{
			{Name: "dev", Requesters: []string{"U1", "U2"}, Approvers: []string{"U2", "U3", "S1"}, ApprovalsRequired: 1, AllowSelfApproval: true},
			{Name: "prod", Requesters: []string{"U1", "U2"}, Approvers: []string{"U2", "U3", "U4"}, ApprovalsRequired: 2},
			{Name: "sandbox", Requesters: []string{"*"}, Approvers: []string{"*"}, ApprovalsRequired: 0, AllowSelfApproval: true},
		},
		NotifyChannel: "C0NOTIFY",
	}
}

// IDs returns a source of distinct, UUID v7-shaped request IDs whose labels
// differ.
func IDs() func() string {
	var n atomic.Int64
	return func() string {
		i := n.Add(1)
		return fmt.Sprintf("01900000-0000-7000-8000-%012x", i)
	}
}

// Clock is a settable clock for leases and event times.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
