package domain

import (
	"errors"
	"fmt"
)

// Rule failures that callers branch on. Messages are for logs and operators;
// the HTTP layer maps each to a stable problem type and its own wording.
var (
	// ErrUsernameTaken is returned by RegisterUser when the name's claim stream already exists.
	ErrUsernameTaken = errors.New("domain: username is taken")
	// ErrUserNotFound is returned when a stream that should hold a user is empty.
	ErrUserNotFound = errors.New("domain: user not found")
	// ErrUserDisabled is returned when a disabled user tries to sign in.
	ErrUserDisabled = errors.New("domain: user is disabled")
	// ErrSessionNotFound is returned when a session stream is empty.
	ErrSessionNotFound = errors.New("domain: session not found")
	// ErrSessionEnded is returned for a session that was ended, revoked or has expired.
	ErrSessionEnded = errors.New("domain: session has ended")
	// ErrWrongSessionKind is returned when a session may not do what was asked
	// (a pending-MFA session trying to enroll, a full session answering a challenge).
	ErrWrongSessionKind = errors.New("domain: session may not do this")
	// ErrIdentityNotLinked is returned when a provider account is not the
	// one linked to the user it claims to sign in as.
	ErrIdentityNotLinked = errors.New("domain: identity is not linked to this user")
	// ErrProviderAlreadyLinked is returned when a user who already has an
	// account of a provider links another one of it.
	ErrProviderAlreadyLinked = errors.New("domain: an account of this provider is already linked")
	// ErrLastWayIn is returned when unlinking would leave a user no way to
	// sign in.
	ErrLastWayIn = errors.New("domain: that is the only way to sign in")
	// ErrIdentityTaken is returned when an outside account to be linked
	// already belongs to another user.
	ErrIdentityTaken = errors.New("domain: that account belongs to another user")
	// ErrReauthRequired is returned when a full session asks for a sensitive
	// change (an authenticator) longer than StepUpAge after the password was
	// proved: the caller must ask for the password again.
	ErrReauthRequired = errors.New("domain: password must be confirmed again")
	// ErrMFAAlreadyEnrolled is returned when enrollment is started for a user whose TOTP is enabled.
	ErrMFAAlreadyEnrolled = errors.New("domain: mfa is already enrolled")
	// ErrMFANotStarted is returned when an enrollment is verified that was never started.
	ErrMFANotStarted = errors.New("domain: mfa enrollment not started")
	// ErrMFANotEnrolled is returned when a challenge is answered for a user without TOTP.
	ErrMFANotEnrolled = errors.New("domain: mfa is not enrolled")
	// ErrCodeReused is returned when a TOTP code's time step was already accepted.
	ErrCodeReused = errors.New("domain: code was already used")
	// ErrCodeInvalid is returned when a TOTP or recovery code does not match.
	ErrCodeInvalid = errors.New("domain: code is not valid")
	// ErrHostNotFound is returned when a host stream is empty or the host was removed.
	ErrHostNotFound = errors.New("domain: protected host not found")
	// ErrHostTaken is returned when a host name is already claimed by another host.
	ErrHostTaken = errors.New("domain: that host is already registered")
	// ErrUnknownEvent is returned by the registry for a (type, version) it has no decoder for.
	ErrUnknownEvent = errors.New("domain: unknown event type or version")
)

// InvalidInputError says which field of a request broke which rule.
type InvalidInputError struct {
	Field  string
	Reason string
}

func (e *InvalidInputError) Error() string {
	return fmt.Sprintf("domain: invalid %s: %s", e.Field, e.Reason)
}
