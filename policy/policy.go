package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// file is the YAML document. Pointers tell "unset" from zero values so the
// defaults below can apply.
type file struct {
	NotifyChannel string        `yaml:"notify_channel"`
	Projects      []projectYAML `yaml:"projects"`
	Environments  []envYAML     `yaml:"environments"`
}

type projectYAML struct {
	Name       string `yaml:"name"`
	Repo       string `yaml:"repo"`
	BaseBranch string `yaml:"base_branch"`
}

type envYAML struct {
	Name              string   `yaml:"name"`
	Requesters        []string `yaml:"requesters"`
	Approvers         []string `yaml:"approvers"`
	Appliers          []string `yaml:"appliers"`
	ApprovalsRequired *int     `yaml:"approvals_required"`
	AllowSelfApproval bool     `yaml:"allow_self_approval"`
	LowRisk           bool     `yaml:"low_risk"`
	Modules           []string `yaml:"modules"`
	NotifyChannel     string   `yaml:"notify_channel"`
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$|^[a-z0-9]$`)
	repoRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	branchRE = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	idRE     = regexp.MustCompile(`^(\*|[A-Za-z0-9._@-]+)$`)
)

// File is a policy file as read: its policy, and where each environment's
// name is written, for problems found once the catalogue is known
// (CheckCatalog).
type File struct {
	Path   string
	Policy flow.Policy
	at     locator
}

// Load reads and validates the policy file at path.
func Load(path string) (flow.Policy, error) {
	f, err := Read(path)
	if err != nil {
		return flow.Policy{}, err
	}
	return f.Policy, nil
}

// Read reads and validates the policy file at path, keeping what
// CheckCatalog needs to name lines.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w", err)
	}
	p, at, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return &File{Path: path, Policy: p, at: at}, nil
}

// Parse validates a policy document. Every problem is reported, one per
// line, naming the key and its line. Besides keys and values it refuses a
// policy that cannot work (see workable) and a second YAML document, which
// would otherwise be ignored without a word.
func Parse(data []byte) (flow.Policy, error) {
	p, _, err := parse(data)
	return p, err
}

func parse(data []byte) (flow.Policy, locator, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return flow.Policy{}, locator{}, errors.New("the file is empty: declare projects and environments (see policy.example.yaml)")
		}
		return flow.Policy{}, locator{}, explainYAML(err)
	}
	if err := oneDocument(dec); err != nil {
		return flow.Policy{}, locator{}, err
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded above; only its lines are wanted
	at := locator{&root}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	out := flow.Policy{NotifyChannel: f.NotifyChannel}
	if len(f.Projects) == 0 {
		bad("projects: at least one project is required (name, repo)")
	}
	seen := map[string]bool{}
	for i, pr := range f.Projects {
		key := func(field string) string { return at.key("projects", i, fmt.Sprintf("projects[%d]", i), field) }
		switch {
		case pr.Name == "":
			bad("%s: required", key("name"))
		case !nameRE.MatchString(pr.Name):
			bad("%s: %q must be lowercase letters, digits and hyphens (at most 32)", key("name"), pr.Name)
		case seen[pr.Name]:
			bad("%s: %q is declared twice", key("name"), pr.Name)
		}
		seen[pr.Name] = true
		if !repoRE.MatchString(pr.Repo) {
			bad("%s: %q must be owner/name of the environment repository", key("repo"), pr.Repo)
		}
		if pr.BaseBranch == "" {
			pr.BaseBranch = "main"
		} else if !branchRE.MatchString(pr.BaseBranch) {
			bad("%s: %q is not a branch name", key("base_branch"), pr.BaseBranch)
		}
		out.Projects = append(out.Projects, flow.Project{Name: pr.Name, Repo: pr.Repo, BaseBranch: pr.BaseBranch})
	}

	if len(f.Environments) == 0 {
		bad("environments: at least one environment is required")
	}
	seen = map[string]bool{}
	for i, e := range f.Environments {
		name := fmt.Sprintf("environments[%d]", i)
		if e.Name != "" {
			name = fmt.Sprintf("environments[%s]", e.Name)
		}
		key := func(field string) string { return at.key("environments", i, name, field) }
		switch {
		case e.Name == "":
			bad("%s: required", key("name"))
		case !nameRE.MatchString(e.Name):
			bad("%s: %q must be lowercase letters, digits and hyphens (it names envs/<name>)", key("name"), e.Name)
		case seen[e.Name]:
			bad("%s: %q is declared twice", key("name"), e.Name)
		}
		seen[e.Name] = true
		checkIDs := func(field string, ids []string, required bool) {
			if required && len(ids) == 0 {
				bad("%s: list at least one Slack user ID (U…), user-group ID (S…) or \"*\"", key(field))
			}
			for _, id := range ids {
				if !idRE.MatchString(id) {
					bad("%s: %q is not a Slack user or user-group ID", key(field), id)
				}
			}
		}
		checkIDs("requesters", e.Requesters, true)
		checkIDs("approvers", e.Approvers, e.ApprovalsRequired == nil || *e.ApprovalsRequired > 0)
		checkIDs("appliers", e.Appliers, false)
		required := 1
		if e.ApprovalsRequired != nil {
			required = *e.ApprovalsRequired
		}
		if required < 0 || required > 10 {
			bad("%s: %d must be between 0 and 10", key("approvals_required"), required)
		}
		for _, m := range e.Modules {
			if !registry.ValidModuleName(m) {
				bad("%s: %q is not a module folder name (%s)", key("modules"), m, registry.ModuleNameRule)
			}
		}
		env := flow.Environment{
			Name:              e.Name,
			Requesters:        e.Requesters,
			Approvers:         e.Approvers,
			Appliers:          e.Appliers,
			ApprovalsRequired: required,
			AllowSelfApproval: e.AllowSelfApproval,
			LowRisk:           e.LowRisk,
			Modules:           e.Modules,
			NotifyChannel:     e.NotifyChannel,
		}
		if msg := unworkable(env); msg != "" {
			bad("%s: %s", key("approvals_required"), msg)
		}
		out.Environments = append(out.Environments, env)
	}
	if len(problems) > 0 {
		return flow.Policy{}, locator{}, errors.New(strings.Join(problems, "\n"))
	}
	return out, at, nil
}

// explainYAML rewrites yaml.v3's type errors ("field x not found in type
// policy.envYAML") into the key names people wrote.
func explainYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("not valid YAML: %w", err)
	}
	var lines []string
	for _, msg := range te.Errors {
		if i := strings.Index(msg, "field "); i >= 0 && strings.Contains(msg, "not found in type") {
			field := strings.TrimSpace(msg[i+len("field ") : strings.Index(msg, " not found")])
			lines = append(lines, fmt.Sprintf("%s: unknown key %q (known keys: %s)", strings.TrimSuffix(msg[:i], ": "), field, knownKeys(msg)))
			continue
		}
		lines = append(lines, msg)
	}
	return errors.New(strings.Join(lines, "\n"))
}

func knownKeys(msg string) string {
	switch {
	case strings.Contains(msg, "envYAML"):
		return "name, requesters, approvers, appliers, approvals_required, allow_self_approval, low_risk, modules, notify_channel"
	case strings.Contains(msg, "projectYAML"):
		return "name, repo, base_branch"
	default:
		return "notify_channel, projects, environments"
	}
}
