package github

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
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

// MaxPlanJSON is the default bound of a plan artifact, compressed as
// downloaded and plan.json uncompressed (Options.MaxPlanJSON): what the
// adapter holds in memory for one plan, with room for the decoded plan
// (several times its JSON) on a small instance. A plan over it is refused
// with a message that says so; the run's own page still shows it.
const MaxPlanJSON = 64 << 20

// ErrBadArtifact is matched by a plan artifact refused unread: over the
// limit, or an archive that does not hold what it declares (a zip bomb, a
// forged archive). The error is a *flow.UserError saying what to do.
var ErrBadArtifact = errors.New("plan artifact refused")

var (
	errTooLarge = errors.New("over the size limit")
	errCorrupt  = errors.New("archive does not match its header")
)

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
	limit := c.planLimit()
	tooLarge := func(what string) error {
		return flow.Userf(ErrBadArtifact, fmt.Sprintf("the plan of run %d is too large to summarise here: %s is over the %s TfPilot reads. "+
			"Review the plan on the run's page (%s), and split the change into smaller requests or ask an operator to raise the limit",
			run.ID, what, bytesText(limit), runURL(r, run)))
	}
	if art.GetSizeInBytes() > limit {
		return flow.PlanSummary{}, tooLarge("artifact " + art.GetName())
	}
	zipped, err := c.fetch(ctx, u.String(), limit) // the URL expires after a minute: fetch now
	if errors.Is(err, errTooLarge) {
		return flow.PlanSummary{}, tooLarge("artifact " + art.GetName())
	}
	if err != nil {
		return flow.PlanSummary{}, fmt.Errorf("download artifact %s: %w", art.GetName(), err)
	}
	planJSON, err := fileFromZip(zipped, "plan.json", limit)
	switch {
	case errors.Is(err, errTooLarge):
		return flow.PlanSummary{}, tooLarge("plan.json in artifact " + art.GetName())
	case errors.Is(err, errCorrupt):
		return flow.PlanSummary{}, flow.Userf(ErrBadArtifact, fmt.Sprintf("the plan artifact of run %d is corrupt or forged "+
			"(plan.json in %s inflates past the size its archive declares), so it was not read: plan again", run.ID, art.GetName()))
	}
	if err != nil {
		return flow.PlanSummary{}, fmt.Errorf("artifact %s: %w", art.GetName(), err)
	}
	sum, err := c.sum(planJSON)
	if err != nil {
		return flow.PlanSummary{}, fmt.Errorf("summarise plan of run %d: %w", run.ID, err)
	}
	sum.TextURL = runURL(r, run)
	return sum, nil
}

func runURL(r Repo, run flow.Run) string {
	if run.URL != "" {
		return run.URL
	}
	return fmt.Sprintf("https://github.com/%s/actions/runs/%d", r, run.ID)
}

// planLimit is Options.MaxPlanJSON, or MaxPlanJSON.
func (c *Client) planLimit() int64 {
	if c.maxPlan > 0 {
		return c.maxPlan
	}
	return MaxPlanJSON
}

// bytesText is n as people read a limit: "64 MiB", or "1000 bytes".
func bytesText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func expired(runID int64, name string) error {
	return fmt.Errorf("plan result of run %d: artifact %s has expired; plan again: %w", runID, name, flow.ErrNotFound)
}

// fileFromZip returns the file called name (at any depth) from a zip. It
// reads no more than limit bytes of it: a file whose header says more wraps
// errTooLarge, one that inflates past what its header says (archive/zip
// stops there) wraps errCorrupt.
func fileFromZip(b []byte, name string, limit int64) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	for _, f := range zr.File {
		if path.Base(f.Name) != name {
			continue
		}
		if f.UncompressedSize64 > uint64(limit) {
			return nil, fmt.Errorf("%s of %d bytes: %w", name, f.UncompressedSize64, errTooLarge)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, limit+1))
		switch {
		case errors.Is(err, zip.ErrFormat):
			return nil, fmt.Errorf("%s inflates past its declared %d bytes: %w", name, f.UncompressedSize64, errCorrupt)
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", name, err)
		case int64(len(data)) > limit: // archive/zip should have stopped it
			return nil, fmt.Errorf("%s over %d bytes: %w", name, limit, errTooLarge)
		}
		return data, nil
	}
	return nil, fmt.Errorf("no %s in the archive", name)
}
