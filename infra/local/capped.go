package local

import (
	"bytes"
	"fmt"
)

// MaxPlanJSON is the default bound of what a run reads of `terraform show`
// (RunnerOptions.MaxPlanJSON), as infra/github bounds a plan artifact: a
// plan over it fails the run with a message saying so, rather than holding
// it all in memory.
const MaxPlanJSON = 64 << 20

// capped keeps the first limit bytes written to it and drains the rest, so
// the command writing never blocks; over says whether it had to.
type capped struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.limit - c.buf.Len(); len(p) > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
	return n, nil
}

// planLimit is RunnerOptions.MaxPlanJSON, or MaxPlanJSON.
func (r *Runner) planLimit() int {
	if r.opts.MaxPlanJSON > 0 {
		return r.opts.MaxPlanJSON
	}
	return MaxPlanJSON
}

func tooLarge(args []string, limit int) error {
	what := fmt.Sprintf("%d bytes", limit)
	if limit%(1<<20) == 0 {
		what = fmt.Sprintf("%d MiB", limit>>20)
	}
	return fmt.Errorf("terraform %s printed more than the %s TfPilot reads of a plan; split the change into smaller requests", args[0], what)
}
