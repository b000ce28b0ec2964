// Package registry is the module catalogue of TfPilot: it reads the Terraform
// modules under modules/*/*.tf (through an injected fs.FS), turns the strings a
// person types in chat into values of each variable's type, evaluates the
// modules' own validation blocks on them, derives and checks the final AWS
// resource names, and renders a request into an environment root as HCL.
//
// The modules are the single source of truth: variables, types, defaults,
// descriptions, validation rules and outputs are read from the .tf files and
// never restated in Go. A module that cannot be read is reported as a
// Diagnostic with file and line and left out of the catalogue; the other
// modules still load.
//
// The package is pure: it does no I/O beyond reading the fs.FS it is given,
// reads no environment variables and never touches git, Slack, GitHub or AWS.
// Its only global state is two bounded memo caches that never change a
// result: compiled regex patterns (regex.go) and files already parsed, keyed
// by path and content (parsecache.go). Render returns bytes; writing them is
// the caller's job. User text reaches the generated HCL only as literals
// escaped by hclwrite (text that needs no escaping is written as it is), so
// "${", "%{", quotes, backslashes and newlines can never change the code.
package registry
