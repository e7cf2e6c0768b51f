package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// Users is the users read model: one row per account.
type Users struct{}

// UsersName is the durable name of the users projection.
const UsersName = "users"

func (Users) Name() string     { return UsersName }
func (Users) Tables() []string { return []string{"users"} }
func (Users) Handles() []string {
	return []string{domain.TypeUserRegistered, domain.TypeAdminGranted, domain.TypeAdminRevoked,
		domain.TypeSessionsRevoked, domain.TypeLoginSucceeded, domain.TypeSessionStarted,
		domain.TypeMediaAccessGranted, domain.TypeMediaAccessRevoked, domain.TypeUserDisabled, domain.TypeUserEnabled}
}

func (u Users) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("users")
	var err error
	switch e := rec.Event.(type) {
	case domain.UserRegistered:
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (id, username, email, provider, access_granted, created_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET username = $2, email = $3, provider = $4, access_granted = $5, position = $7`,
			e.UserID, e.Username, e.Email, e.Provider, e.AccessGranted, rec.RecordedAt, rec.Position)
	case domain.AdminGranted:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET admin = true, position = $2 WHERE id = $1`, e.UserID, rec.Position)
	case domain.AdminRevoked:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET admin = false, position = $2 WHERE id = $1`, e.UserID, rec.Position)
	case domain.SessionsRevoked:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET session_epoch = $2, position = $3 WHERE id = $1`, e.UserID, e.Epoch, rec.Position)
	case domain.LoginSucceeded: // written before sign-ins stopped appending to the user's stream
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET last_login_at = $2, position = $3 WHERE id = $1`, e.UserID, rec.RecordedAt, rec.Position)
	case domain.MediaAccessGranted:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET media_access = true, position = $2 WHERE id = $1`, e.UserID, rec.Position)
	case domain.MediaAccessRevoked:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET media_access = false, position = $2 WHERE id = $1`, e.UserID, rec.Position)
	case domain.UserDisabled:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET disabled = true, position = $2 WHERE id = $1`, e.UserID, rec.Position)
	case domain.UserEnabled:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET disabled = false, position = $2 WHERE id = $1`, e.UserID, rec.Position)
	case domain.SessionStarted:
		if e.Replaces != "" { // a rotation, not a sign-in
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET last_login_at = $2, position = $3 WHERE id = $1`, e.UserID, rec.RecordedAt, rec.Position)
	}
	return err
}
