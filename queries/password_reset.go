package queries

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// LocalAccountsFor lists the local accounts whose username or email is who
// (in any case), at most three: the candidates of a password reset, which
// the command checks against each account's own stream.
func (r *Reader) LocalAccountsFor(ctx context.Context, who string) ([]string, error) {
	rows, err := r.pool.Query(ctx, `SELECT id FROM users WHERE provider = 'local' AND (lower(username) = lower($1) OR lower(email) = lower($1))
		ORDER BY lower(username) = lower($1) DESC, id LIMIT 3`, who)
	if err != nil {
		return nil, fmt.Errorf("queries: local accounts for a reset: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("queries: local accounts for a reset: %w", err)
	}
	return ids, nil
}
