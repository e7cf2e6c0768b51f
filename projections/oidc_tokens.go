package projections

import (
	"context"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// OIDCTokens is the read model of access tokens, by digest: what userinfo
// and introspection look a bearer token up in. Whether the token's session
// still stands is not kept here: readers ask the access model at use, so a
// logout ends the token on every node at once.
type OIDCTokens struct{}

// OIDCTokensName is the durable name of the access-token projection.
const OIDCTokensName = "oidc_tokens"

// tokenRowsKept is how long an expired token's row stays: long enough for
// introspection to say "inactive", short enough that the table does not grow
// with history.
const tokenRowsKept = 24 * time.Hour

func (OIDCTokens) Name() string     { return OIDCTokensName }
func (OIDCTokens) Tables() []string { return []string{"oidc_access_tokens"} }
func (OIDCTokens) Handles() []string {
	return []string{domain.TypeCodeRedeemed, domain.TypeRefreshRotated, domain.TypeGrantRevoked}
}

func (OIDCTokens) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("oidc_access_tokens")
	insert := func(grant, client, user, session string, epoch int64, scopes []string, digest string, expires time.Time) error {
		if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (digest, grant_id, client_id, user_id, session_id, epoch, scopes, issued_at, expires_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (digest) DO NOTHING`,
			digest, grant, client, user, session, epoch, nonNil(scopes), rec.RecordedAt, expires, rec.Position); err != nil {
			return err
		}
		// Forget rows long expired. The measure is the new token's expiry
		// (the issuing command's clock, as the rows' own times are), not
		// the time of recording, so a replay deletes what the first run did.
		_, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE expires_at < $1`, expires.Add(-tokenRowsKept))
		return err
	}
	switch e := rec.Event.(type) {
	case domain.CodeRedeemed:
		return insert(e.GrantID, e.ClientID, e.UserID, e.SessionID, e.Epoch, e.Scopes, e.AccessDigest, e.AccessExpiresAt)
	case domain.RefreshRotated:
		return insert(e.GrantID, e.ClientID, e.UserID, e.SessionID, e.Epoch, e.Scopes, e.AccessDigest, e.AccessExpiresAt)
	case domain.GrantRevoked:
		_, err := tx.Exec(ctx, `UPDATE `+table+` SET revoked = true, position = $2 WHERE grant_id = $1`, e.GrantID, rec.Position)
		return err
	}
	return nil
}
