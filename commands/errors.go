package commands

import (
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/local"
)

var (
	// ErrInvalidCredentials is returned by Login for any first-factor failure:
	// unknown user, wrong password, disabled account. Callers cannot and
	// must not tell them apart.
	ErrInvalidCredentials = errors.New("commands: invalid credentials")
	// ErrTooManyConflicts is returned when a stream kept changing under a
	// command through every retry.
	ErrTooManyConflicts = errors.New("commands: too many concurrent changes")
	// ErrUnavailable is returned when the log could not be reached; nothing
	// was written and the request may be retried.
	ErrUnavailable = eventstore.ErrUnavailable
	// ErrBusy is returned when every password-hashing slot stayed taken for
	// as long as the caller could wait: shed load, try again.
	ErrBusy = local.ErrBusy
)

// RateLimitedError is returned when the failure budget an attempt spends
// from is empty. RetryAfter is when the next attempt may come; whether the
// budget was an account's, a device's or a session's is not said.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("commands: too many attempts; retry after %s", e.RetryAfter)
}
