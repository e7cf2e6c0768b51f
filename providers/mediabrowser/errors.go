package mediabrowser

import (
	"errors"
	"fmt"

	"github.com/authportal/authportal/providers"
)

// Errors callers branch on, beside the shared providers errors.
var (
	// ErrDisabled is returned when the server refused a sign-in because the
	// account is disabled (Jellyfin answers 403, for a disabled or locked-out
	// user). It wraps providers.ErrInvalidCredentials, so a caller that shows
	// one message for every refusal needs no extra case, while the audit
	// record can say "disabled" (see Reason).
	ErrDisabled = fmt.Errorf("mediabrowser: account disabled: %w", providers.ErrInvalidCredentials)
	// ErrAPIKeyRefused is returned when the server refused the configured
	// API key: a configuration problem, not the user's.
	ErrAPIKeyRefused = errors.New("mediabrowser: API key refused")
	// ErrNoAPIKey is returned by CheckAccess when Config.APIKey is empty.
	ErrNoAPIKey = errors.New("mediabrowser: no API key configured")
)

// Reasons reported in Identity.Reason, by CheckAccess and by Reason.
const (
	ReasonEnabled            = "enabled"
	ReasonDisabled           = "disabled"
	ReasonRemoved            = "removed"
	ReasonInvalidCredentials = "invalid_credentials"
	ReasonUnavailable        = "unavailable"
	ReasonAPIKeyRefused      = "api_key_refused"
)

// Error is what a failed call to the server returns. It names the operation
// and the HTTP status (zero when no answer came) and unwraps to one of
// ErrDisabled, providers.ErrInvalidCredentials, providers.ErrUnavailable or
// ErrAPIKeyRefused. It never carries a credential or the server's body.
type Error struct {
	Flavor Flavor
	Op     string // "authenticate", "validate token", "read policy", "check access"
	Status int
	Err    error // the sentinel
	cause  error // transport detail (timeout, refused connection), if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("mediabrowser: %s %s", e.Flavor, e.Op)
	if e.Status != 0 {
		s += fmt.Sprintf(": status %d", e.Status)
	}
	s += ": " + e.Err.Error()
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Err, e.cause}
	}
	return []error{e.Err}
}

// Reason names err for an audit record: "disabled", "invalid_credentials",
// "unavailable", "api_key_refused", or "" for nil or anything else.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrDisabled):
		return ReasonDisabled
	case errors.Is(err, providers.ErrInvalidCredentials):
		return ReasonInvalidCredentials
	case errors.Is(err, ErrAPIKeyRefused):
		return ReasonAPIKeyRefused
	case errors.Is(err, providers.ErrUnavailable):
		return ReasonUnavailable
	}
	return ""
}
