package plex

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/authportal/authportal/providers"
)

// Errors this package returns besides the shared ones of package providers.
var (
	// ErrMisconfigured is returned by [Authorizer.Decide] and
	// [Authorizer.Check] when the configured server or owner cannot be
	// used: the owner token is refused, or ServerName names no server (or
	// several) that the owner owns. Decide's errors that match it also
	// match providers.ErrUnavailable, so that a sign-in fails closed with
	// the "unavailable" message while the log says why; they never match
	// providers.ErrInvalidCredentials (the user's credentials were fine).
	ErrMisconfigured = errors.New("plex: server configuration cannot be used")
)

// Plex's error codes in the v2 errors body.
const (
	codeUnauthenticated = 1001 // 401: token invalid
	codePINNotFound     = 1020 // 404: PIN not found or expired
)

// APIError is a non-2xx answer from plex.tv. It matches
// providers.ErrInvalidCredentials when plex.tv refused a token (401) or no
// longer knows a PIN (404), and providers.ErrUnavailable otherwise.
type APIError struct {
	Op      string // what was being done: "create pin", "check pin", "account", "resources"
	Status  int    // HTTP status
	Code    int    // first code of the errors body, 0 when there was none
	Message string // first message of the errors body, as plex.tv wrote it
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("plex: %s: plex.tv answered %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Code != 0 || e.Message != "" {
		msg += fmt.Sprintf(" (code %d: %q)", e.Code, e.Message)
	}
	return msg
}

// Unwrap returns the shared error callers branch on.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized:
		return providers.ErrInvalidCredentials
	case e.Status == http.StatusNotFound && e.Op == opCheckPIN:
		return providers.ErrInvalidCredentials
	default:
		return providers.ErrUnavailable
	}
}

func newAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, Status: status}
	var eb errorsBody
	if json.Unmarshal(body, &eb) == nil && len(eb.Errors) > 0 {
		e.Code = eb.Errors[0].Code
		e.Message = eb.Errors[0].Message
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
	}
	return e
}

// errorsBody is plex.tv v2's error body: {"errors":[{"code","message","status"}]}.
type errorsBody struct {
	Errors []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	} `json:"errors"`
}
