package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// Sessions is the sessions read model: one row per session, ended or not.
type Sessions struct{}

// SessionsName is the durable name of the sessions projection.
const SessionsName = "sessions"

func (Sessions) Name() string     { return SessionsName }
func (Sessions) Tables() []string { return []string{"sessions"} }
func (Sessions) Handles() []string {
	return []string{domain.TypeSessionStarted, domain.TypeSessionEnded, domain.TypeSessionsRevoked}
}

func (Sessions) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("sessions")
	var err error
	switch e := rec.Event.(type) {
	case domain.SessionStarted:
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (id, user_id, kind, authorized, provider, client_ip, user_agent, started_at, expires_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (id) DO NOTHING`,
			e.SessionID, e.UserID, string(e.Kind), e.Authorized, e.Provider, rec.Metadata.ClientIP, rec.Metadata.UserAgent,
			rec.RecordedAt, e.ExpiresAt, rec.Position)
	case domain.SessionEnded:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET ended_at = $2, end_reason = $3, position = $4 WHERE id = $1 AND ended_at IS NULL`,
			e.SessionID, rec.RecordedAt, e.Reason, rec.Position)
	case domain.SessionsRevoked:
		// Sessions carry the epoch in their token, not in this table: end
		// every open one the user had started before this event.
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET ended_at = $2, end_reason = 'revoked', position = $3
			WHERE user_id = $1 AND ended_at IS NULL AND position < $3`,
			e.UserID, rec.RecordedAt, rec.Position)
	}
	return err
}
