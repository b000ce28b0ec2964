// Package docs holds only tests: they keep the documents in this folder
// true of the code (ARCHITECTURE.md's package graph and package table
// against `go list`). The package has no code of its own and must not gain
// any: nothing may import it.
package docs
