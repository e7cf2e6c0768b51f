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
	Username string // as the provider shows it (UserIdentities only)
	Token    string // sealed with DATA_KEY; "" when none was kept (LinkedIdentities only)
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

// UserIdentities lists the outside accounts linked to one user, without
// their credentials.
func (r *Reader) UserIdentities(ctx context.Context, userID string) ([]LinkedIdentity, error) {
	rows, err := r.pool.Query(ctx, `SELECT provider, subject, user_id, username FROM identities WHERE user_id = $1 ORDER BY provider`, userID)
	if err != nil {
		return nil, fmt.Errorf("queries: identities of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []LinkedIdentity
	for rows.Next() {
		var li LinkedIdentity
		if err := rows.Scan(&li.Provider, &li.Subject, &li.UserID, &li.Username); err != nil {
			return nil, fmt.Errorf("queries: identities of %s: %w", userID, err)
		}
		out = append(out, li)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: identities of %s: %w", userID, err)
	}
	return out, nil
}
