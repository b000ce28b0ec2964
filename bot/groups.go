package bot

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// groups resolves which of the policy's user groups (S… IDs) a person is
// in, with usergroups.users.list (scope usergroups:read), cached per group.
// Only groups the policy names are ever looked up, so a policy naming no
// group needs neither the scope nor the calls.
type groups struct {
	api *slack.Client
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	members map[string]groupEntry
}

type groupEntry struct {
	users []string
	at    time.Time
}

func newGroups(api *slack.Client, ttl time.Duration) *groups {
	return &groups{api: api, ttl: ttl, now: time.Now, members: map[string]groupEntry{}}
}

// policyGroups lists the user-group IDs the policy mentions.
func policyGroups(p flow.Policy) []string {
	var out []string
	for _, e := range p.Environments {
		for _, ids := range [][]string{e.Requesters, e.Approvers, e.Appliers} {
			for _, id := range ids {
				if flow.IsUserGroup(id) && !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// of returns the groups of ids that user belongs to. A group that cannot
// be listed counts as not containing the user (fail closed) until the next
// try.
func (g *groups) of(ctx context.Context, user string, ids []string) ([]string, error) {
	var out []string
	var firstErr error
	for _, id := range ids {
		users, err := g.list(ctx, id)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if slices.Contains(users, user) {
			out = append(out, id)
		}
	}
	return out, firstErr
}

func (g *groups) list(ctx context.Context, id string) ([]string, error) {
	g.mu.Lock()
	e, ok := g.members[id]
	g.mu.Unlock()
	if ok && g.now().Sub(e.at) < g.ttl {
		return e.users, nil
	}
	var users []string
	err := retry(ctx, func() (err error) {
		users, err = g.api.GetUserGroupMembersContext(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.members[id] = groupEntry{users: users, at: g.now()}
	g.mu.Unlock()
	return users, nil
}

// catalogCache keeps catalogues briefly so modal validation, which answers
// in the ack, does not wait on a repository read for every submission.
type catalogCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]catalogEntry
}

type catalogEntry struct {
	c  *registry.Catalog
	at time.Time
}

func newCatalogCache(ttl time.Duration) *catalogCache {
	return &catalogCache{ttl: ttl, m: map[string]catalogEntry{}}
}

func (c *catalogCache) get(ctx context.Context, e Engine, project string) (*registry.Catalog, error) {
	c.mu.Lock()
	ent, ok := c.m[project]
	c.mu.Unlock()
	if ok && time.Since(ent.at) < c.ttl {
		return ent.c, nil
	}
	cat, err := e.Catalog(ctx, project)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.m[project] = catalogEntry{cat, time.Now()}
	c.mu.Unlock()
	return cat, nil
}
