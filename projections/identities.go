package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// Identities is the read model of outside accounts linked to users.
type Identities struct{}

// IdentitiesName is the durable name of the identities projection.
const IdentitiesName = "identities"

func (Identities) Name() string     { return IdentitiesName }
func (Identities) Tables() []string { return []string{"identities"} }
func (Identities) Handles() []string {
	return []string{domain.TypeIdentityLinked, domain.TypeIdentityTokenRefreshed, domain.TypeIdentityUnlinked}
}

func (Identities) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("identities")
	var err error
	switch e := rec.Event.(type) {
	case domain.IdentityLinked:
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (provider, subject, user_id, username, token, linked_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (provider, subject) DO UPDATE SET user_id = $3, username = $4, token = $5, position = $7`,
			e.Provider, e.Subject, e.UserID, e.Username, e.Token, rec.RecordedAt, rec.Position)
	case domain.IdentityUnlinked:
		_, err = tx.Exec(ctx, `DELETE FROM `+table+` WHERE provider = $1 AND subject = $2 AND user_id = $3`, e.Provider, e.Subject, e.UserID)
	case domain.IdentityTokenRefreshed:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET token = $3, position = $4 WHERE user_id = $1 AND provider = $2`,
			e.UserID, e.Provider, e.Token, rec.Position)
	}
	return err
}
