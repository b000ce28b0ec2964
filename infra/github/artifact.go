package github

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/tfpilot/tfpilot/flow"
)

// planArtifactPrefix names plan artifacts: tfpilot-plan-<request_id>.
const planArtifactPrefix = "tfpilot-plan-"

// maxArtifact bounds a plan artifact download.
const maxArtifact = 256 << 20

// PlanResult downloads a finished plan run's artifact, unzips plan.json and
// summarises it with Options.Summarize. TextURL links the run, whose job
// summary and artifact hold plan.txt. Calls: list artifacts, artifact zip
// (302), and the pre-signed download (not an API call).
func (c *Client) PlanResult(ctx context.Context, project string, run flow.Run) (flow.PlanSummary, error) {
	r, err := c.repo(project)
	if err != nil {
		return flow.PlanSummary{}, err
	}
	if c.sum == nil {
		return flow.PlanSummary{}, errNoSummarizer
	}
	var list gh.ArtifactList
	if _, resp, err := c.get(ctx, repoPath(r, "actions/runs/%d/artifacts?per_page=100", run.ID), &list, false); err != nil {
		return flow.PlanSummary{}, mapErr(fmt.Sprintf("list artifacts of run %d", run.ID), permActionsRead, resp, err)
	}
	var art *gh.Artifact
	for _, a := range list.Artifacts {
		if strings.HasPrefix(a.GetName(), planArtifactPrefix) {
			art = a
			break
		}
	}
	switch {
	case art == nil:
		return flow.PlanSummary{}, fmt.Errorf("plan result of run %d: the run has no %s* artifact (did the plan step finish?): %w",
			run.ID, planArtifactPrefix, flow.ErrNotFound)
	case art.GetExpired():
		return flow.PlanSummary{}, expired(run.ID, art.GetName())
	}
	u, resp, err := c.gh.Actions.DownloadArtifact(ctx, r.Owner, r.Name, art.GetID(), 0)
	if err != nil {
		if status, _ := statusOf(resp, err); status == http.StatusGone {
			return flow.PlanSummary{}, expired(run.ID, art.GetName())
		}
		return flow.PlanSummary{}, mapErr("download artifact "+art.GetName(), permActionsRead, resp, err)
	}
	zipped, err := c.fetch(ctx, u.String(), maxArtifact) // the URL expires after a minute: fetch now
	if err != nil {
		return flow.PlanSummary{}, fmt.Errorf("download artifact %s: %w", art.GetName(), err)
	}
	planJSON, err := fileFromZip(zipped, "plan.json")
	if err != nil {
		return flow.PlanSummary{}, fmt.Errorf("artifact %s: %w", art.GetName(), err)
	}
	sum, err := c.sum(planJSON)
	if err != nil {
		return flow.PlanSummary{}, fmt.Errorf("summarise plan of run %d: %w", run.ID, err)
	}
	sum.TextURL = run.URL
	if sum.TextURL == "" {
		sum.TextURL = fmt.Sprintf("https://github.com/%s/actions/runs/%d", r, run.ID)
	}
	return sum, nil
}

func expired(runID int64, name string) error {
	return fmt.Errorf("plan result of run %d: artifact %s has expired; plan again: %w", runID, name, flow.ErrNotFound)
}

// fileFromZip returns the file called name (at any depth) from a zip.
func fileFromZip(b []byte, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	for _, f := range zr.File {
		if path.Base(f.Name) != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, maxArtifact))
	}
	return nil, fmt.Errorf("no %s in the archive", name)
}
