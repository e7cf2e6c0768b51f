package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// forwardModel is the part of the access model that forward auth decides
// with: the protected hosts, indexed so that matching a request host is a
// few map lookups (the exact name, then the wildcard of each parent), and
// each user's permissions. Entries are replaced, never changed in place,
// so a *domain.ProtectedHost handed out stays as it was.
type forwardModel struct {
	hostsByID    map[string]*domain.ProtectedHost
	hostsByName  map[string]*domain.ProtectedHost // exact names
	wildcards    map[string]*domain.ProtectedHost // "*.example.com" under "example.com"
	permissions  map[string]domain.Permissions    // user id -> permissions; absent: allow_all, no exceptions
	defaultAllow bool                             // FORWARD_AUTH_DEFAULT=authenticated
}

func newForwardModel() forwardModel {
	return forwardModel{
		hostsByID:   map[string]*domain.ProtectedHost{},
		hostsByName: map[string]*domain.ProtectedHost{},
		wildcards:   map[string]*domain.ProtectedHost{},
		permissions: map[string]domain.Permissions{},
	}
}

// putHost adds h or replaces the entry with its id (and its old name).
func (f *forwardModel) putHost(h domain.ProtectedHost) {
	f.removeHost(h.ID)
	p := &h
	f.hostsByID[h.ID] = p
	if base, ok := domain.WildcardBase(h.Host); ok {
		f.wildcards[base] = p
	} else {
		f.hostsByName[h.Host] = p
	}
}

func (f *forwardModel) removeHost(id string) {
	old, ok := f.hostsByID[id]
	if !ok {
		return
	}
	delete(f.hostsByID, id)
	if base, ok := domain.WildcardBase(old.Host); ok {
		if f.wildcards[base] == old {
			delete(f.wildcards, base)
		}
	} else if f.hostsByName[old.Host] == old {
		delete(f.hostsByName, old.Host)
	}
}

// apply folds a forward-auth event in (the caller holds the lock).
func (f *forwardModel) apply(e domain.Event) {
	switch e := e.(type) {
	case domain.HostAdded:
		f.putHost(domain.ProtectedHost{ID: e.HostID, Host: e.Host, Name: e.Name, ForwardAuth: e.ForwardAuth})
	case domain.HostUpdated:
		f.putHost(domain.ProtectedHost{ID: e.HostID, Host: e.Host, Name: e.Name, ForwardAuth: e.ForwardAuth})
	case domain.HostRemoved:
		f.removeHost(e.HostID)
	case domain.UserPermissionsSet:
		f.permissions[e.UserID] = domain.PermissionsFrom(e.Mode, e.Hosts)
	}
}

// loadForward reads the forward-auth tables on tx (Access.Load's snapshot).
func loadForward(ctx context.Context, tx pgx.Tx) (forwardModel, error) {
	f := newForwardModel()
	rows, err := tx.Query(ctx, `SELECT id, host, name, forward_auth FROM protected_hosts`)
	if err != nil {
		return f, fmt.Errorf("projections: access: read protected hosts: %w", err)
	}
	for rows.Next() {
		var h domain.ProtectedHost
		if err := rows.Scan(&h.ID, &h.Host, &h.Name, &h.ForwardAuth); err != nil {
			rows.Close()
			return f, fmt.Errorf("projections: access: read protected hosts: %w", err)
		}
		f.putHost(h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("projections: access: read protected hosts: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT user_id, mode, hosts FROM user_permissions`)
	if err != nil {
		return f, fmt.Errorf("projections: access: read permissions: %w", err)
	}
	for rows.Next() {
		var id, mode string
		var hosts []string
		if err := rows.Scan(&id, &mode, &hosts); err != nil {
			rows.Close()
			return f, fmt.Errorf("projections: access: read permissions: %w", err)
		}
		f.permissions[id] = domain.PermissionsFrom(domain.PermissionMode(mode), hosts)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("projections: access: read permissions: %w", err)
	}
	return f, nil
}

// match returns the most specific entry for a host in stored form: the
// exact name, else the wildcard of the nearest parent; nil when none.
func (f *forwardModel) match(host string) *domain.ProtectedHost {
	if host == "" {
		return nil
	}
	if h, ok := f.hostsByName[host]; ok {
		return h
	}
	for rest := host; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if h, ok := f.wildcards[rest]; ok {
			return h
		}
	}
}

// SetForwardDefault sets what a request for a host that matches no
// protected host gets: allowed for any authorized user (true,
// FORWARD_AUTH_DEFAULT=authenticated) or denied (false, the default).
// Every node is configured alike at start, so every node answers alike.
func (a *Access) SetForwardDefault(allow bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fwd.defaultAllow = allow
}

// DecideForward answers a forward-auth request for userID to host (as the
// proxy sent it: any case, maybe with a port or a trailing dot), from
// memory only. The verdict's Host points at the model's entry, which is
// never changed in place: read it, do not modify it.
func (a *Access) DecideForward(userID, host string) domain.ForwardVerdict {
	key := domain.RequestHost(host)
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, ok := a.users[userID]
	if !ok {
		return domain.ForwardVerdict{Reason: domain.ReasonUnknownUser, Host: a.fwd.match(key)}
	}
	return domain.DecideForward(u.Standing(), a.fwd.permissions[userID], a.fwd.match(key), a.fwd.defaultAllow)
}

// ProtectedHost returns the protected-host entry that matches host (most
// specific wins), if any.
func (a *Access) ProtectedHost(host string) (domain.ProtectedHost, bool) {
	key := domain.RequestHost(host)
	a.mu.RLock()
	defer a.mu.RUnlock()
	if h := a.fwd.match(key); h != nil {
		return *h, true
	}
	return domain.ProtectedHost{}, false
}
