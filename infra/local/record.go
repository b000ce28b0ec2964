package local

import (
	"context"

	"github.com/tfpilot/tfpilot/flow"
)

// RecordOnChange implements flow.Repo. A local repository has no pull
// request conversation to write in: the console shows the request, and
// the audit log under the data directory holds its whole story, so there is
// nothing to do.
func (g *GitRepo) RecordOnChange(ctx context.Context, project string, c flow.Change, body string) error {
	return nil
}
