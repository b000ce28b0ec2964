package flowtest

import (
	"time"

	"github.com/tfpilot/tfpilot/flow"
)

// Ports bundles one fake of every port, sharing one repository.
type Ports struct {
	Store    *Store
	Audit    *Audit
	Repo     *Repo
	Runs     *Runs
	Chat     *Chat
	Catalogs *Catalogs
	Clock    *Clock
	IDs      func() string
}

// NewPorts returns fresh fakes with the Modules catalogue.
func NewPorts() *Ports {
	cats, err := CatalogsFromFS(Modules())
	if err != nil {
		panic(err) // the embedded test catalogue is fixed; a failure is a bug here
	}
	repo := NewRepo()
	return &Ports{
		Store: NewStore(), Audit: NewAudit(), Repo: repo, Runs: NewRuns(repo), Chat: NewChat(), Catalogs: cats,
		Clock: NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)), IDs: IDs(),
	}
}

// Config returns an engine configuration over the fakes for replica owner,
// with the test Policy, fast retries and polling.
func (p *Ports) Config(owner string) flow.Config {
	return flow.Config{
		Store: p.Store, Audit: p.Audit, Repo: p.Repo, Runs: p.Runs, Chat: p.Chat, Catalogs: p.Catalogs,
		Policy: Policy(), Now: p.Clock.Now, NewID: p.IDs, Owner: owner, LeaseTTL: time.Minute,
		Retry:        flow.Backoff{Attempts: 3, Base: time.Microsecond, Max: time.Millisecond},
		PollInterval: time.Microsecond, Workers: 4, DrainTimeout: 50 * time.Millisecond,
	}
}
