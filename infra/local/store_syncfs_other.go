//go:build !linux || !(amd64 || arm64)

package local

// sysSyncfs is negative where syncfs(2) is not wired up: GroupCommit falls
// back to PerFileSync.
const sysSyncfs = -1
