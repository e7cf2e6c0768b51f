package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrVersionConflict is returned by Append when a stream's version is not
	// the one the caller expected: someone else wrote first.
	ErrVersionConflict = errors.New("eventstore: version conflict")
	// ErrChainBroken is returned by Verify when the log does not match its hash chain.
	ErrChainBroken = errors.New("eventstore: hash chain broken")
)

// VersionConflictError says which stream conflicted.
type VersionConflictError struct {
	StreamID string
	Expected ExpectedVersion
	Actual   int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("eventstore: stream %s is at version %d, expected %s", e.StreamID, e.Actual, e.Expected)
}

func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }

// ChainError names the first position where the log stops matching its chain.
type ChainError struct {
	Position int64
	Reason   string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("eventstore: hash chain broken at position %d: %s", e.Position, e.Reason)
}

func (e *ChainError) Unwrap() error { return ErrChainBroken }

// ErrUnavailable marks a failure to reach the database (a restart, a cut
// connection, a statement or lock timeout, a deadline passed waiting for an
// answer) as opposed to a bad request: callers answer
// "try again", and nothing was written.
var ErrUnavailable = errors.New("eventstore: database unavailable")

// classify wraps connection-level failures so that they match ErrUnavailable
// while keeping the cause.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &pgErr):
		// Class 08 (connection exception), 57 (operator intervention:
		// shutdown, terminated backends, and 57014, a statement cancelled by
		// statement_timeout) and 55P03 (lock_timeout): the database is away
		// or stuck, the request was fine.
		if !strings.HasPrefix(pgErr.Code, "08") && !strings.HasPrefix(pgErr.Code, "57") && pgErr.Code != lockNotAvailable {
			return err
		}
	// A request's deadline passing while the database did not answer (a
	// frozen server cannot enforce its own statement_timeout).
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
	default:
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// lockNotAvailable is SQLSTATE 55P03, raised when lock_timeout passes.
const lockNotAvailable = "55P03"
