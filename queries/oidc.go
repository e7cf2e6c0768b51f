package queries

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OAuthClient is a registered client as the clients read model lists it.
type OAuthClient struct {
	ID                     string    `json:"clientId"`
	Name                   string    `json:"name"`
	RedirectURIs           []string  `json:"redirectUris"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	Public                 bool      `json:"public"`
	FirstParty             bool      `json:"firstParty"`
	Scopes                 []string  `json:"scopes"`
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
}

// OAuthClients lists the registered clients by name.
func (r *Reader) OAuthClients(ctx context.Context) ([]OAuthClient, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, name, redirect_uris, post_logout_redirect_uris, public, first_party, scopes, created_at, updated_at
		FROM oauth_clients ORDER BY lower(name), id LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("queries: oauth clients: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OAuthClient, error) {
		var c OAuthClient
		err := row.Scan(&c.ID, &c.Name, &c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.Public, &c.FirstParty, &c.Scopes, &c.CreatedAt, &c.UpdatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("queries: oauth clients: %w", err)
	}
	return out, nil
}

// AccessToken is what the token read model knows of an access token.
type AccessToken struct {
	GrantID   string
	ClientID  string
	UserID    string
	SessionID string
	Epoch     int64
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	Revoked   bool
	Position  int64 // the log position of the event that last changed the row
}

// AccessToken looks an access token up by its digest; ErrNotFound when
// there is none.
func (r *Reader) AccessToken(ctx context.Context, digest string) (AccessToken, error) {
	var t AccessToken
	err := r.pool.QueryRow(ctx, `SELECT grant_id, client_id, user_id, session_id, epoch, scopes, issued_at, expires_at, revoked, position
		FROM oidc_access_tokens WHERE digest = $1`, digest).
		Scan(&t.GrantID, &t.ClientID, &t.UserID, &t.SessionID, &t.Epoch, &t.Scopes, &t.IssuedAt, &t.ExpiresAt, &t.Revoked, &t.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return AccessToken{}, ErrNotFound
	}
	if err != nil {
		return AccessToken{}, fmt.Errorf("queries: access token: %w", err)
	}
	return t, nil
}
