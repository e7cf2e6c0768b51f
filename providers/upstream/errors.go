package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/authportal/authportal/providers"
	"golang.org/x/oauth2"
)

// Error is what every upstream call returns on failure. It wraps Kind
// (providers.ErrInvalidCredentials or providers.ErrUnavailable) and Cause,
// so errors.Is works for both. Its text names the provider, the step, the
// HTTP status and the OAuth error code, never a token, code or secret.
type Error struct {
	Provider string // "github", "google", "oidc" or the configured name
	Step     string // "discovery", "token", "id_token", "nonce", "userinfo", "user", "emails"
	Status   int    // HTTP status when the provider answered; 0 otherwise
	Code     string // OAuth error code from the provider ("invalid_grant"), when given
	Kind     error  // providers.ErrInvalidCredentials or providers.ErrUnavailable
	Cause    error  // the underlying error, when there is one
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upstream %s: %s", e.Provider, e.Step)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %q", e.Code)
	}
	fmt.Fprintf(&b, ": %v", e.Kind)
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

// Unwrap returns Kind and Cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// statusKind maps an HTTP status of an API call made with a fresh token:
// 5xx (and anything unexpected) is unavailability, 401/403 refusal.
func statusKind(status int) error {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return providers.ErrInvalidCredentials
	}
	return providers.ErrUnavailable
}

// exchangeError maps an x/oauth2 Exchange failure. The provider's refusal
// (4xx, or an "error" member in a 200 answer as GitHub sends) is
// ErrInvalidCredentials; 5xx, timeouts, connection errors and malformed
// answers are ErrUnavailable. The response body is never copied: only its
// status and error code.
func exchangeError(provider string, err error) *Error {
	e := &Error{Provider: provider, Step: "token", Kind: providers.ErrUnavailable}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		e.Code = re.ErrorCode
		if e.Status < 500 && (e.Code != "" || e.Status >= 400) {
			e.Kind = providers.ErrInvalidCredentials
		}
		return e
	}
	e.Cause = transportCause(err)
	return e
}

// transportCause keeps deadline and cancellation visible to errors.Is and
// otherwise the error itself (a *url.Error names the URL, which never
// carries a credential here).
func transportCause(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return err
}

func errUnavailable() error { return providers.ErrUnavailable }

// errConfig is the kind for a request that could not even be built (a bad
// configured URL): the source is unusable, so unavailable.
func errConfig() error { return providers.ErrUnavailable }
