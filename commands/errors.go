package commands

import "errors"

var (
	// ErrInvalidCredentials is returned by Login for any first-factor failure:
	// unknown user, wrong password, disabled account. Callers cannot and
	// must not tell them apart.
	ErrInvalidCredentials = errors.New("commands: invalid credentials")
	// ErrTooManyConflicts is returned when a stream kept changing under a
	// command through every retry.
	ErrTooManyConflicts = errors.New("commands: too many concurrent changes")
)
