package ghfake

import "slices"

// SetArtifact replaces the plan artifact of a completed run with zipped, the
// bytes the download serves as they are (an oversized plan, a zip bomb, an
// archive whose headers lie). The listing reports its size, as GitHub's
// size_in_bytes does.
func (f *Fake) SetArtifact(id int64, zipped []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRun(id).artifact = slices.Clone(zipped)
}
