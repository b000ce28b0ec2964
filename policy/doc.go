// Package policy reads TfPilot's policy file: the YAML that declares the
// projects (environment repositories), the environments, and who may
// request, approve and apply in each. It turns the file into a flow.Policy
// and rejects unknown keys and bad values with messages that name the key
// and its line. It does no other I/O and holds no state.
//
// It is a package of its own because flow may import only the standard
// library and registry (docs/ARCHITECTURE.md#packages): flow keeps the
// policy as plain data (flow.Policy) and evaluates it, and this package,
// used only by cmd/bot, owns the file format and its YAML dependency.
package policy
