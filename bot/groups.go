package bot

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
	"go.uber.org/zap"
)

// maxGroupTTL bounds how long a group's members are cached: someone removed
// from an approvers group loses the right within a minute.
const maxGroupTTL = time.Minute

// groups resolves which of the policy's user groups (S… IDs) a person is
// in, with usergroups.users.list (scope usergroups:read), cached per group
// for at most maxGroupTTL. Only groups the policy names are ever looked up,
// so a policy naming no group needs neither the scope nor the calls.
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
	if ttl <= 0 || ttl > maxGroupTTL {
		ttl = maxGroupTTL
	}
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
	return g.resolve(ctx, user, ids, false)
}

// fresh is of with every group read from Slack, not the cache (which it
// refreshes).
func (g *groups) fresh(ctx context.Context, user string, ids []string) ([]string, error) {
	return g.resolve(ctx, user, ids, true)
}

func (g *groups) resolve(ctx context.Context, user string, ids []string, fresh bool) ([]string, error) {
	var out []string
	var firstErr error
	for _, id := range ids {
		users, err := g.list(ctx, id, fresh)
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

func (g *groups) list(ctx context.Context, id string, fresh bool) ([]string, error) {
	g.mu.Lock()
	e, ok := g.members[id]
	g.mu.Unlock()
	if ok && !fresh && g.now().Sub(e.at) < g.ttl {
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

// asActor runs do as the actor, with their groups resolved (resolveGroups).
// When do is denied (flow.ErrDenied) and the policy names groups, the
// memberships are read again from Slack, and do runs once more if they
// changed: someone just added to a group is not refused for up to the
// cache's lifetime, and an unchanged refusal is not repeated.
func (s *Slack) asActor(ctx context.Context, a flow.Actor, do func(flow.Actor) error) error {
	a = s.resolveGroups(ctx, a)
	err := do(a)
	if !errors.Is(err, flow.ErrDenied) {
		return err
	}
	ids := policyGroups(s.engine().Policy())
	if len(ids) == 0 {
		return err
	}
	gs, ferr := s.groups.fresh(ctx, a.ID, ids)
	if ferr != nil {
		s.log.Warn("user groups", zap.String("user", a.ID), zap.Error(ferr))
	}
	if slices.Equal(gs, a.Groups) {
		return err
	}
	a.Groups = gs
	return do(a)
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
