package queries

import (
	"context"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// ProtectedHost is a host behind forward auth, as the admin API lists it.
type ProtectedHost struct {
	ID          string
	Host        string
	Name        string
	ForwardAuth bool
}

// ProtectedHosts lists every protected host, by host name.
func (r *Reader) ProtectedHosts(ctx context.Context) ([]ProtectedHost, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, host, name, forward_auth FROM protected_hosts ORDER BY host, id`)
	if err != nil {
		return nil, fmt.Errorf("queries: protected hosts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ProtectedHost, error) {
		var h ProtectedHost
		err := row.Scan(&h.ID, &h.Host, &h.Name, &h.ForwardAuth)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("queries: protected hosts: %w", err)
	}
	return out, nil
}

// UserSummary is a user as the admin API lists them.
type UserSummary struct {
	ID              string
	Username        string
	Email           string
	Provider        string   // how the account was created ("local", "plex", ...)
	LinkedProviders []string // outside accounts that sign in as the user
	Admin           bool
	AccessGranted   bool
	MediaAccess     bool
	Disabled        bool
	Mode            domain.PermissionMode // allow_all when never set
	Hosts           []string              // the exceptions' host ids, of hosts that still exist
}

// Authorized applies domain.Standing.Authorized to the row.
func (u UserSummary) Authorized() bool {
	return domain.Standing{Admin: u.Admin, AccessGranted: u.AccessGranted, MediaAccess: u.MediaAccess, Disabled: u.Disabled}.Authorized()
}

const userSummarySelect = `SELECT u.id, u.username, u.email, u.provider,
		coalesce((SELECT array_agg(i.provider ORDER BY i.provider) FROM identities i WHERE i.user_id = u.id), '{}'),
		u.admin, u.access_granted, u.media_access, u.disabled, coalesce(p.mode, 'allow_all'),
		coalesce((SELECT array_agg(h ORDER BY h) FROM unnest(p.hosts) h WHERE EXISTS (SELECT 1 FROM protected_hosts ph WHERE ph.id = h)), '{}')
	FROM users u LEFT JOIN user_permissions p ON p.user_id = u.id`

func scanUserSummary(row pgx.CollectableRow) (UserSummary, error) {
	var u UserSummary
	var mode string
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.Provider, &u.LinkedProviders, &u.Admin, &u.AccessGranted, &u.MediaAccess, &u.Disabled, &mode, &u.Hosts)
	u.Mode = domain.PermissionMode(mode)
	return u, err
}

// Users lists every user, by username.
func (r *Reader) Users(ctx context.Context) ([]UserSummary, error) {
	rows, err := r.pool.Query(ctx, userSummarySelect+` ORDER BY lower(u.username), u.id`)
	if err != nil {
		return nil, fmt.Errorf("queries: users: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanUserSummary)
	if err != nil {
		return nil, fmt.Errorf("queries: users: %w", err)
	}
	return out, nil
}

// User returns one user, or ErrNotFound.
func (r *Reader) User(ctx context.Context, id string) (UserSummary, error) {
	rows, err := r.pool.Query(ctx, userSummarySelect+` WHERE u.id = $1`, id)
	if err != nil {
		return UserSummary{}, fmt.Errorf("queries: user %s: %w", id, err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanUserSummary)
	if errors.Is(err, pgx.ErrNoRows) {
		return UserSummary{}, ErrNotFound
	}
	if err != nil {
		return UserSummary{}, fmt.Errorf("queries: user %s: %w", id, err)
	}
	return u, nil
}

// UsersNamed lists the users whose username is name, in any case: one local
// account at most, and any number of outside accounts that kept the name
// their provider shows.
func (r *Reader) UsersNamed(ctx context.Context, name string) ([]UserSummary, error) {
	rows, err := r.pool.Query(ctx, userSummarySelect+` WHERE lower(u.username) = lower($1) ORDER BY u.provider <> 'local', u.id`, name)
	if err != nil {
		return nil, fmt.Errorf("queries: users named %q: %w", name, err)
	}
	out, err := pgx.CollectRows(rows, scanUserSummary)
	if err != nil {
		return nil, fmt.Errorf("queries: users named %q: %w", name, err)
	}
	return out, nil
}
