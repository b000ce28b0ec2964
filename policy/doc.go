// Package policy reads TfPilot's policy file: the YAML that declares the
// projects (environment repositories), the environments, and who may
// request, approve and apply in each. It turns the file into a flow.Policy
// and rejects unknown keys and bad values with messages that name the key
// and its line. It does no other I/O and holds no state.
package policy
