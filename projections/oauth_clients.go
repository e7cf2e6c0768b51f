package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// OAuthClients is the read model of registered OAuth clients, for the
// admin API and the CLI. Deleted clients leave the table.
type OAuthClients struct{}

// OAuthClientsName is the durable name of the clients projection.
const OAuthClientsName = "oauth_clients"

func (OAuthClients) Name() string     { return OAuthClientsName }
func (OAuthClients) Tables() []string { return []string{"oauth_clients"} }
func (OAuthClients) Handles() []string {
	return []string{domain.TypeClientRegistered, domain.TypeClientUpdated, domain.TypeClientDeleted}
}

func (OAuthClients) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("oauth_clients")
	var err error
	switch e := rec.Event.(type) {
	case domain.ClientRegistered:
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (id, name, redirect_uris, post_logout_redirect_uris, public, first_party, scopes, created_at, updated_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
			ON CONFLICT (id) DO NOTHING`,
			e.ClientID, e.Name, nonNil(e.RedirectURIs), nonNil(e.PostLogoutRedirectURIs), e.Public, e.FirstParty, nonNil(e.Scopes), rec.RecordedAt, rec.Position)
	case domain.ClientUpdated:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET name = $2, redirect_uris = $3, post_logout_redirect_uris = $4, first_party = $5, scopes = $6,
			updated_at = $7, position = $8 WHERE id = $1`,
			e.ClientID, e.Name, nonNil(e.RedirectURIs), nonNil(e.PostLogoutRedirectURIs), e.FirstParty, nonNil(e.Scopes), rec.RecordedAt, rec.Position)
	case domain.ClientDeleted:
		_, err = tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, e.ClientID)
	}
	return err
}
