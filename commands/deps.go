package commands

import (
	"context"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/throttle"
)

// Store is the log as commands use it. Snapshots keep long-lived streams
// (users) quick to load: LoadAfter reads only what follows one.
type Store interface {
	Load(ctx context.Context, streamID string) ([]domain.Event, int64, error)
	LoadAfter(ctx context.Context, streamID string, after int64) ([]domain.Event, int64, error)
	LoadSnapshot(ctx context.Context, streamID string) (eventstore.Snapshot, bool, error)
	SaveSnapshot(ctx context.Context, streamID string, snap eventstore.Snapshot) // best effort
	Append(ctx context.Context, meta domain.Metadata, appends ...eventstore.Append) (eventstore.Result, error)
}

// PasswordHasher hashes and checks local passwords.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, hash, password string) (bool, error)
	// VerifyNobody spends a Verify's time for a login that matched no account.
	VerifyNobody(ctx context.Context, password string) error
	// StandIn spends about a Verify's time without hashing (a flood of
	// attempts at names that match no account).
	StandIn(ctx context.Context) error
}

// Budgets are token buckets every node shares (throttle.Buckets). Commands
// take a token before checking anything an attacker could guess, so parallel
// guesses cannot all be checked before the first is charged.
type Budgets interface {
	Take(ctx context.Context, scope, id string, l throttle.Limit, now time.Time) (throttle.Decision, error)
	Refund(ctx context.Context, scope, id string, l throttle.Limit) // best effort: a failed refund is only a tighter budget
}

// PolicySource gives the session policy in force now: a fixed
// domain.SessionPolicy, or one that follows the configuration as it is saved.
type PolicySource interface {
	Policy() domain.SessionPolicy
}

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// NewID returns a fresh random identifier.
type NewID func() string

// Result is where a command's events landed.
type Result struct {
	Position int64 // the global position of the last event appended (0: nothing appended)
}
