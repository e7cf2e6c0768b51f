package queries

import (
	"context"
	"fmt"
)

// LinkedIdentity is an outside account linked to a user, with the
// provider's credential sealed as the log holds it.
type LinkedIdentity struct {
	Provider string
	Subject  string
	UserID   string
	Token    string // sealed with DATA_KEY; "" when none was kept
}

// LinkedIdentities lists the linked accounts of the given providers.
func (r *Reader) LinkedIdentities(ctx context.Context, providers []string) ([]LinkedIdentity, error) {
	rows, err := r.pool.Query(ctx, `SELECT provider, subject, user_id, token FROM identities WHERE provider = ANY($1) ORDER BY user_id`, providers)
	if err != nil {
		return nil, fmt.Errorf("queries: linked identities: %w", err)
	}
	defer rows.Close()
	var out []LinkedIdentity
	for rows.Next() {
		var li LinkedIdentity
		if err := rows.Scan(&li.Provider, &li.Subject, &li.UserID, &li.Token); err != nil {
			return nil, fmt.Errorf("queries: linked identities: %w", err)
		}
		out = append(out, li)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: linked identities: %w", err)
	}
	return out, nil
}
