package eventstore

import (
	"errors"
	"fmt"
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
