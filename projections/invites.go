package projections

import (
	"context"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// Invites is the read model of invites: the admin console's list, and the
// lookup of an invite by its token's digest. Acceptance decides from the
// invite's stream, whose expected version guards it; this only finds it.
type Invites struct{}

// InvitesName is the durable name of the invites projection.
const InvitesName = "invites"

func (Invites) Name() string     { return InvitesName }
func (Invites) Tables() []string { return []string{"invites"} }
func (Invites) Handles() []string {
	return []string{domain.TypeInviteCreated, domain.TypeInviteEmailSending, domain.TypeInviteEmailSent,
		domain.TypeInviteEmailFailed, domain.TypeInviteResendRequested, domain.TypeInviteRevoked, domain.TypeInviteAccepted}
}

func (Invites) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("invites")
	var err error
	switch e := rec.Event.(type) {
	case domain.InviteCreated:
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (id, email, role, link, digest, created_at, expires_at, max_uses, mail_state, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $4 THEN 'sent' ELSE 'pending' END, $9)
			ON CONFLICT (id) DO NOTHING`,
			e.InviteID, e.Email, e.Role, e.Link, e.TokenDigest, rec.RecordedAt, e.ExpiresAt, e.MaxUses, rec.Position)
	case domain.InviteEmailSending:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET mail_state = 'sending', mail_attempts = $2, position = $3 WHERE id = $1 AND position < $3`,
			e.InviteID, e.Attempt, rec.Position)
	case domain.InviteEmailSent:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET mail_state = 'sent', mail_error = '', position = $2 WHERE id = $1 AND position < $2`, e.InviteID, rec.Position)
	case domain.InviteEmailFailed:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET mail_state = CASE WHEN $2 THEN 'failed' ELSE 'pending' END, mail_error = $3, position = $4,
			retry_at = $5
			WHERE id = $1 AND position < $4`, e.InviteID, e.Final, e.Reason, rec.Position, nullTime(e.RetryAt))
	case domain.InviteResendRequested:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET mail_state = 'pending', mail_error = '', retry_at = NULL, position = $2
			WHERE id = $1 AND position < $2`, e.InviteID, rec.Position)
	case domain.InviteRevoked:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET revoked = true, position = $2 WHERE id = $1 AND position < $2`, e.InviteID, rec.Position)
	case domain.InviteAccepted:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET uses = greatest(uses, $2), position = $3 WHERE id = $1 AND position < $3`, e.InviteID, e.Uses, rec.Position)
	}
	return err
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
