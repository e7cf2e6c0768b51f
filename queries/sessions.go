package queries

import (
	"context"
	"fmt"
	"time"
)

// UserSession is one of a user's signed-in devices.
type UserSession struct {
	ID        string
	Provider  string
	ClientIP  string
	UserAgent string
	StartedAt time.Time
	ExpiresAt time.Time
}

// UserSessions lists the full sessions a user holds at now, newest first.
// Sessions revoked by epoch are ended in the table too (projections.Sessions).
func (r *Reader) UserSessions(ctx context.Context, userID string, now time.Time) ([]UserSession, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, provider, client_ip, user_agent, started_at, expires_at FROM sessions
		WHERE user_id = $1 AND kind = 'full' AND ended_at IS NULL AND expires_at > $2 ORDER BY started_at DESC LIMIT 100`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("queries: sessions of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []UserSession
	for rows.Next() {
		var s UserSession
		if err := rows.Scan(&s.ID, &s.Provider, &s.ClientIP, &s.UserAgent, &s.StartedAt, &s.ExpiresAt); err != nil {
			return nil, fmt.Errorf("queries: sessions of %s: %w", userID, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: sessions of %s: %w", userID, err)
	}
	return out, nil
}
