package ghfake

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Terraform state per environment. plan.yml and apply.yml run Terraform in
// envs/<environment> against one remote state per environment, and that
// state outlives every branch: what an apply made stays until an apply
// deletes it, whatever is merged. So a plan is the planned commit's
// configuration against what successful applies left, and a module applied
// from a branch that is not merged shows as deleted in every other plan
// (made from a base that lacks it).
//
// The fake models a resource as its address, e.g.
// module.tfpilot_ab12.aws_s3_bucket.this, with the text of the block that
// configures it: a resource block in the module's local source directory,
// or a resource block written directly in envs/<environment>. A module
// whose source is not a directory of the repository (a registry module) is
// one resource, terraform_data.this. count and for_each are not modelled.

// tfState is one environment's state: address → fingerprint of the block
// that configured it when it was applied. serial counts the applies that
// wrote it, as Terraform's state serial does.
type tfState struct {
	serial    int
	resources map[string]string
}

// tfPlan is what a successful plan run planned: the configuration of its
// commit and the state serial it was made against (a saved plan records
// the state's lineage and serial).
type tfPlan struct {
	env    string
	serial int
	config map[string]string
}

// staleLog is what terraform apply prints for a saved plan whose state was
// written after the plan was made (terraform 1.5.7, checked by hand).
const staleLog = "Error: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by\n" +
	"another operation after the plan was created.\nProcess completed with exit code 1."

// State returns the addresses in the Terraform state of environment env of
// repository full ("owner/name"), sorted.
func (f *Fake) State(full, env string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.mustRepo(full).states[env]
	if st == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(st.resources))
}

func (rp *repo) state(env string) *tfState {
	if rp.states == nil {
		rp.states = map[string]*tfState{}
	}
	st := rp.states[env]
	if st == nil {
		st = &tfState{resources: map[string]string{}}
		rp.states[env] = st
	}
	return st
}

// planOf plans commit sha in environment env against its state.
func (rp *repo) planOf(sha, env string) *tfPlan {
	return &tfPlan{env: env, serial: rp.state(env).serial, config: rp.config(sha, env)}
}

// applyPlan writes p to its environment's state, or reports that the state
// changed since p was made, as terraform apply refuses a stale saved plan.
func (rp *repo) applyPlan(p *tfPlan) bool {
	st := rp.state(p.env)
	if st.serial != p.serial {
		return false
	}
	st.serial++
	st.resources = maps.Clone(p.config)
	return true
}

// config returns the resources the .tf files of envs/<env> configure at
// commit sha, with the fingerprint of the block configuring each.
func (rp *repo) config(sha, env string) map[string]string {
	tree := rp.treeOf(sha)
	dir := "envs/" + env
	out := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(tree)) {
		if path.Dir(p) != dir || path.Ext(p) != ".tf" {
			continue
		}
		src := rp.blobs[tree[p]]
		file, _ := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			fp := fingerprint(b.Range().SliceBytes(src))
			switch {
			case b.Type == "resource" && len(b.Labels) == 2:
				out[b.Labels[0]+"."+b.Labels[1]] = fp
			case b.Type == "module" && len(b.Labels) == 1:
				for _, res := range rp.moduleResources(tree, dir, b) {
					out["module."+b.Labels[0]+"."+res] = fp
				}
			}
		}
	}
	return out
}

// moduleResources lists "type.name" of the resource blocks of module block
// b's source directory (relative to dir), or terraform_data.this for a
// source that is not a directory of the tree.
func (rp *repo) moduleResources(tree map[string]string, dir string, b *hclsyntax.Block) []string {
	var source string
	if a := b.Body.Attributes["source"]; a != nil {
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type().FriendlyName() == "string" {
			source = v.AsString()
		}
	}
	var out []string
	if strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../") {
		modDir := path.Join(dir, source)
		for _, p := range slices.Sorted(maps.Keys(tree)) {
			if path.Dir(p) != modDir || path.Ext(p) != ".tf" {
				continue
			}
			file, _ := hclsyntax.ParseConfig(rp.blobs[tree[p]], p, hcl.InitialPos)
			if body, ok := file.Body.(*hclsyntax.Body); ok {
				for _, rb := range body.Blocks {
					if rb.Type == "resource" && len(rb.Labels) == 2 {
						out = append(out, rb.Labels[0]+"."+rb.Labels[1])
					}
				}
			}
		}
	}
	if len(out) == 0 {
		out = []string{"terraform_data.this"}
	}
	return out
}

func fingerprint(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:8])
}

// tfChange is one entry of resource_changes in `terraform show -json`.
type tfChange struct {
	Address       string         `json:"address"`
	ModuleAddress string         `json:"module_address,omitempty"`
	Mode          string         `json:"mode"`
	Type          string         `json:"type"`
	Name          string         `json:"name"`
	ProviderName  string         `json:"provider_name"`
	Change        tfChangeDetail `json:"change"`
	ActionReason  string         `json:"action_reason,omitempty"`
}

type tfChangeDetail struct {
	Actions      []string       `json:"actions"`
	Before       map[string]any `json:"before"`
	After        map[string]any `json:"after"`
	AfterUnknown map[string]any `json:"after_unknown"`
}

// planVerbs is how plan.txt says each action, as terraform plan does.
var planVerbs = map[string]string{"create": "created", "delete": "destroyed", "update": "updated in-place"}

// planFiles renders p against the state it was made from as plan.json
// (the format of `terraform show -json`, see fixtures/) and plan.txt: a
// create for each resource the commit configures and the state lacks, a
// delete for each the state has and the commit lacks, an update for one
// whose block changed, a no-op for the rest.
func (rp *repo) planFiles(p *tfPlan) (planJSON, planTxt []byte) {
	state := rp.state(p.env).resources
	all := maps.Clone(state)
	maps.Copy(all, p.config)
	changes := []tfChange{}
	counts := map[string]int{}
	var txt strings.Builder
	for _, addr := range slices.Sorted(maps.Keys(all)) {
		before, inState := state[addr]
		after, inConfig := p.config[addr]
		c := newChange(addr)
		// A resource's values are those of the block configuring it: its
		// fingerprint stands for them, so two plans of the same block
		// plan the same values and an edited block plans others.
		live := map[string]any{"id": addr, "config": before}
		planned := map[string]any{"id": addr, "config": after}
		switch {
		case !inState:
			c.Change = tfChangeDetail{Actions: []string{"create"}, After: map[string]any{"config": after}, AfterUnknown: map[string]any{"id": true}}
		case !inConfig:
			c.Change = tfChangeDetail{Actions: []string{"delete"}, Before: live, AfterUnknown: map[string]any{}}
			c.ActionReason = "delete_because_no_resource_config"
		case before != after:
			c.Change = tfChangeDetail{Actions: []string{"update"}, Before: live, After: planned, AfterUnknown: map[string]any{}}
		default:
			c.Change = tfChangeDetail{Actions: []string{"no-op"}, Before: live, After: live, AfterUnknown: map[string]any{}}
		}
		changes = append(changes, c)
		if verb, ok := planVerbs[c.Change.Actions[0]]; ok {
			counts[c.Change.Actions[0]]++
			fmt.Fprintf(&txt, "  # %s will be %s\n", addr, verb)
		}
	}
	planJSON, _ = json.Marshal(map[string]any{"format_version": "1.2", "terraform_version": "1.5.7", "resource_changes": changes})
	if len(counts) == 0 {
		txt.WriteString("No changes. Your infrastructure matches the configuration.\n")
	} else {
		fmt.Fprintf(&txt, "\nPlan: %d to add, %d to change, %d to destroy.\n", counts["create"], counts["update"], counts["delete"])
	}
	return planJSON, []byte(txt.String())
}

// newChange splits addr (module.<m>.<type>.<name> or <type>.<name>) into
// the fields terraform show -json gives a managed resource.
func newChange(addr string) tfChange {
	c := tfChange{Address: addr, Mode: "managed"}
	rest := addr
	if after, ok := strings.CutPrefix(addr, "module."); ok {
		m, r, _ := strings.Cut(after, ".")
		c.ModuleAddress, rest = "module."+m, r
	}
	c.Type, c.Name, _ = strings.Cut(rest, ".")
	if c.Type == "terraform_data" {
		c.ProviderName = "terraform.io/builtin/terraform"
	} else {
		prov, _, _ := strings.Cut(c.Type, "_")
		c.ProviderName = "registry.terraform.io/hashicorp/" + prov
	}
	return c
}
