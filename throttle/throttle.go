package throttle

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limit is a bucket's shape: Burst tokens, one more every Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// Decision is the outcome of Take.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration // when not allowed: until the next token
}

// Buckets is the table of shared buckets.
type Buckets struct {
	pool   *pgxpool.Pool
	key    []byte // HMAC key for bucket keys
	logger *slog.Logger
}

// New returns the buckets in pool, keyed under secret (SESSION_SECRET does:
// every node has the same one).
func New(pool *pgxpool.Pool, secret []byte, logger *slog.Logger) (*Buckets, error) {
	if pool == nil || len(secret) < 16 || logger == nil {
		return nil, errors.New("throttle: need a pool, a secret of at least 16 bytes and a logger")
	}
	return &Buckets{pool: pool, key: append([]byte(nil), secret...), logger: logger}, nil
}

// digest names a bucket: scope ("login-account", "login-address", ...) and
// the id within it, under the server key.
func (b *Buckets) digest(scope, id string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return m.Sum(nil)
}

// Take spends one token from the bucket (scope, id) at now, or reports how
// long until one is free. Concurrent takes on one bucket, from any node,
// never spend more than Burst: the check and the spend are one UPDATE.
func (b *Buckets) Take(ctx context.Context, scope, id string, l Limit, now time.Time) (Decision, error) {
	key := b.digest(scope, id)
	every := l.Every
	// tat' = max(tat, now) + every, allowed while tat' - now <= burst*every.
	var tat time.Time
	err := b.pool.QueryRow(ctx, `INSERT INTO throttle_buckets AS t (key, tat) VALUES ($1, $2::timestamptz + $3::interval)
		ON CONFLICT (key) DO UPDATE SET tat = greatest(t.tat, $2::timestamptz) + $3::interval
		WHERE greatest(t.tat, $2::timestamptz) + $3::interval <= $2::timestamptz + $4::interval
		RETURNING tat`, key, now, every, every*time.Duration(l.Burst)).Scan(&tat)
	if err == nil {
		return Decision{Allowed: true}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Decision{}, fmt.Errorf("throttle: take %s: %w: %w", scope, eventstore.ErrUnavailable, err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT tat FROM throttle_buckets WHERE key = $1`, key).Scan(&tat); err != nil {
		if errors.Is(err, pgx.ErrNoRows) { // swept in between: full again
			return b.Take(ctx, scope, id, l, now)
		}
		return Decision{}, fmt.Errorf("throttle: take %s: %w: %w", scope, eventstore.ErrUnavailable, err)
	}
	// The next token is free when tat - now drops to (burst-1)*every.
	wait := tat.Sub(now) - every*time.Duration(l.Burst-1)
	return Decision{RetryAfter: max(wait, time.Second)}, nil
}

// Refund gives back a token taken from (scope, id): a sign-in that turned
// out right costs nothing from the failure budget it reserved from. It is
// best effort: a refund that fails leaves the budget a little tighter than
// it should be, which is safe, so it is logged rather than returned (the
// request it belongs to has succeeded).
func (b *Buckets) Refund(ctx context.Context, scope, id string, l Limit) {
	if _, err := b.pool.Exec(ctx, `UPDATE throttle_buckets SET tat = tat - $2::interval WHERE key = $1`,
		b.digest(scope, id), l.Every); err != nil {
		b.logger.WarnContext(ctx, "budget refund failed", "scope", scope, "err", err)
	}
}

// Sweep deletes the buckets that are full again at now, and returns how many.
func (b *Buckets) Sweep(ctx context.Context, now time.Time) (int64, error) {
	tag, err := b.pool.Exec(ctx, `DELETE FROM throttle_buckets WHERE tat <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("throttle: sweep: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Count returns how many buckets exist: for tests and metrics.
func (b *Buckets) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM throttle_buckets`).Scan(&n); err != nil {
		return 0, fmt.Errorf("throttle: count: %w", err)
	}
	return n, nil
}
