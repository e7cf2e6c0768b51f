package http

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
	"github.com/danielgtaylor/huma/v2"
)

// problemKind is one class of failure, with its stable type URI.
type problemKind struct {
	status int
	slug   string
	title  string
}

func (k problemKind) typeURI() string { return "urn:authportal:problem:" + k.slug }

var (
	problemInvalidCredentials = problemKind{http.StatusUnauthorized, "invalid-credentials", "Invalid credentials"}
	problemInvalidCode        = problemKind{http.StatusUnauthorized, "invalid-code", "Invalid code"}
	problemUnauthenticated    = problemKind{http.StatusUnauthorized, "unauthenticated", "Not signed in"}
	problemWrongSession       = problemKind{http.StatusForbidden, "wrong-session", "Not allowed for this session"}
	problemCrossOrigin        = problemKind{http.StatusForbidden, "cross-origin", "Cross-origin request refused"}
	problemAlreadyEnrolled    = problemKind{http.StatusConflict, "mfa-already-enrolled", "MFA already enrolled"}
	problemEnrollNotStarted   = problemKind{http.StatusConflict, "mfa-not-started", "MFA enrollment not started"}
	problemUsernameTaken      = problemKind{http.StatusConflict, "username-taken", "Username taken"}
	problemInvalidInput       = problemKind{http.StatusUnprocessableEntity, "invalid-input", "Invalid input"}
	problemRateLimited        = problemKind{http.StatusTooManyRequests, "rate-limited", "Too many requests"}
	problemUnavailable        = problemKind{http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable"}
	problemInternal           = problemKind{http.StatusInternalServerError, "internal", "Internal error"}
)

func (k problemKind) err(detail string) *huma.ErrorModel {
	return &huma.ErrorModel{Type: k.typeURI(), Title: k.title, Status: k.status, Detail: detail}
}

// writeProblem answers a plain (non-huma) handler's failure.
func writeProblem(w http.ResponseWriter, r *http.Request, k problemKind, detail string) {
	writeErrorModel(w, r, k.err(detail))
}

func writeErrorModel(w http.ResponseWriter, r *http.Request, m *huma.ErrorModel) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(m.Status)
	body, err := json.Marshal(m)
	if err != nil {
		return
	}
	if _, err := w.Write(body); err != nil {
		slog.DebugContext(r.Context(), "client went away", "err", err)
	}
}

// problemFor maps an error from a command or query to the problem the client
// sees. Login and MFA failures say the same thing whatever failed. Anything
// unmapped is logged with its cause and answered with a fixed 500.
func problemFor(ctx context.Context, logger *slog.Logger, err error) *huma.ErrorModel {
	var invalid *domain.InvalidInputError
	switch {
	case errors.Is(err, commands.ErrInvalidCredentials):
		return problemInvalidCredentials.err("Invalid username or password.")
	case errors.Is(err, domain.ErrCodeInvalid), errors.Is(err, domain.ErrCodeReused):
		return problemInvalidCode.err("That code is not valid. Try the next one from your app, or a recovery code.")
	case errors.Is(err, domain.ErrSessionEnded), errors.Is(err, domain.ErrSessionNotFound), errors.Is(err, domain.ErrUserNotFound):
		return problemUnauthenticated.err("Your session has ended. Sign in again.")
	case errors.Is(err, domain.ErrWrongSessionKind):
		return problemWrongSession.err("This session cannot do that.")
	case errors.Is(err, domain.ErrMFAAlreadyEnrolled):
		return problemAlreadyEnrolled.err("Two-factor authentication is already set up for this account.")
	case errors.Is(err, domain.ErrMFANotStarted), errors.Is(err, domain.ErrMFANotEnrolled):
		return problemEnrollNotStarted.err("Start the two-factor setup first.")
	case errors.Is(err, domain.ErrUsernameTaken):
		return problemUsernameTaken.err("That username is taken.")
	case errors.As(err, &invalid):
		return problemInvalidInput.err(invalid.Field + ": " + invalid.Reason)
	case errors.Is(err, commands.ErrBusy), errors.Is(err, queries.ErrNotCaughtUp), errors.Is(err, commands.ErrTooManyConflicts),
		errors.Is(err, commands.ErrUnavailable), errors.Is(err, queries.ErrModelBehind):
		logger.WarnContext(ctx, "request shed", "request_id", metaFrom(ctx).RequestID, "err", err)
		return problemUnavailable.err("The server is busy. Try again in a moment.")
	}
	logger.ErrorContext(ctx, "request failed", "request_id", metaFrom(ctx).RequestID, "err", err)
	return problemInternal.err("Something went wrong. The request id in the X-Request-Id header helps the admin find out what.")
}
