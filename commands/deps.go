package commands

import (
	"context"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Store is the log as commands use it.
type Store interface {
	Load(ctx context.Context, streamID string) ([]domain.Event, int64, error)
	Append(ctx context.Context, meta domain.Metadata, appends ...eventstore.Append) (eventstore.Result, error)
}

// PasswordHasher hashes and checks local passwords.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, hash, password string) (bool, error)
	// VerifyNobody spends a Verify's time for a login that matched no account.
	VerifyNobody(ctx context.Context, password string) error
}

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// NewID returns a fresh random identifier.
type NewID func() string

// Result is where a command's events landed.
type Result struct {
	Position int64 // the global position of the last event appended (0: nothing appended)
}
