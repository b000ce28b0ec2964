package flow

import "time"

// recordLook is how often a runner following a run looks at the stored
// record (effects another replica's write made owed, a watch no longer
// owed), whatever the poll interval.
const recordLook = 10 * time.Second

// lookEvery is how many run polls pass between two looks at the stored
// record while a run is followed: one look per recordLook at the
// configured PollInterval (every 20th poll at the default 500ms), and at
// least every 20th poll, so that an engine polling faster (tests) still
// looks within a few polls.
func (e *Engine) lookEvery() int {
	return max(1, min(20, int(recordLook/e.cfg.PollInterval)))
}
