package http

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	problemCodeReused         = problemKind{http.StatusUnauthorized, "code-reused", "Code already used"}
	problemUnauthenticated    = problemKind{http.StatusUnauthorized, "unauthenticated", "Not signed in"}
	problemWrongSession       = problemKind{http.StatusForbidden, "wrong-session", "Not allowed for this session"}
	problemCrossOrigin        = problemKind{http.StatusForbidden, "cross-origin", "Cross-origin request refused"}
	problemAlreadyEnrolled    = problemKind{http.StatusConflict, "mfa-already-enrolled", "MFA already enrolled"}
	problemEnrollNotStarted   = problemKind{http.StatusConflict, "mfa-not-started", "MFA enrollment not started"}
	problemUsernameTaken      = problemKind{http.StatusConflict, "username-taken", "Username taken"}
	problemInvalidInput       = problemKind{http.StatusUnprocessableEntity, "invalid-input", "Invalid input"}
	problemMalformed          = problemKind{http.StatusBadRequest, "malformed-request", "Malformed request"}
	problemTooLarge           = problemKind{http.StatusRequestEntityTooLarge, "too-large", "Request too large"}
	problemUnsupportedType    = problemKind{http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"}
	problemNotAcceptable      = problemKind{http.StatusNotAcceptable, "not-acceptable", "Not acceptable"}
	problemNotFound           = problemKind{http.StatusNotFound, "not-found", "Not found"}
	problemMethodNotAllowed   = problemKind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"}
	problemRateLimited        = problemKind{http.StatusTooManyRequests, "rate-limited", "Too many requests"}
	problemReauthRequired     = problemKind{http.StatusUnauthorized, "reauth-required", "Password confirmation required"}
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
	case errors.Is(err, domain.ErrCodeReused):
		// Only the code of a step already accepted is refused this way, so
		// saying so tells a guesser nothing, and tells the person to wait.
		return problemCodeReused.err("That code was already used. Wait for the next one from your app.")
	case errors.Is(err, domain.ErrCodeInvalid):
		return problemInvalidCode.err("That code is not valid. Try the next one from your app, or a recovery code.")
	case errors.Is(err, domain.ErrSessionEnded), errors.Is(err, domain.ErrSessionNotFound), errors.Is(err, domain.ErrUserNotFound):
		return problemUnauthenticated.err("Your session has ended. Sign in again.")
	case errors.Is(err, domain.ErrReauthRequired):
		return problemReauthRequired.err("Confirm your password to set up a new authenticator.")
	case errors.Is(err, domain.ErrWrongSessionKind):
		return problemWrongSession.err("This session cannot do that.")
	case errors.Is(err, domain.ErrMFAAlreadyEnrolled):
		return problemAlreadyEnrolled.err("Two-factor authentication is already set up for this account.")
	case errors.Is(err, domain.ErrMFANotStarted), errors.Is(err, domain.ErrMFANotEnrolled):
		return problemEnrollNotStarted.err("Start the two-factor setup first.")
	case errors.Is(err, domain.ErrUsernameTaken):
		return problemUsernameTaken.err("That username is taken.")
	case errors.As(err, &invalid):
		return problemInvalidInput.err(invalidInputWords(invalid))
	case errors.Is(err, commands.ErrBusy), errors.Is(err, queries.ErrNotCaughtUp), errors.Is(err, commands.ErrTooManyConflicts),
		errors.Is(err, commands.ErrUnavailable), errors.Is(err, queries.ErrModelBehind):
		logger.WarnContext(ctx, "request shed", "request_id", metaFrom(ctx).RequestID, "err", err)
		return problemUnavailable.err("The server is busy. Try again in a moment.")
	}
	logger.ErrorContext(ctx, "request failed", "request_id", metaFrom(ctx).RequestID, "err", err)
	return problemInternal.err("Something went wrong. The request id in the X-Request-Id header helps the admin find out what.")
}

// apiError is problemFor for huma operations, which can also carry headers:
// a spent budget is a 429 with Retry-After.
func (s *Server) apiError(ctx context.Context, err error) error {
	var limited *commands.RateLimitedError
	if errors.As(err, &limited) {
		return rateLimited(limited.RetryAfter)
	}
	return problemFor(ctx, s.deps.Logger, err)
}

// invalidInputWords says a domain rule's failure as a sentence a person reads.
// The reason is the rule, never the value that broke it.
func invalidInputWords(e *domain.InvalidInputError) string {
	switch e.Field {
	case "username":
		return "Usernames are 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit."
	case "email":
		return "Enter a plain email address, like name@example.com."
	}
	if e.Reason == "" {
		return "The " + e.Field + " is not valid."
	}
	r := []rune(e.Reason)
	return strings.ToUpper(string(r[:1])) + string(r[1:]) + " (" + e.Field + ")."
}

// tooManyAttempts is the answer to a spent attempt budget: the detail says
// how long to wait in words, retryAfter says it in seconds for the
// Retry-After header.
func tooManyAttempts(wait time.Duration) (m *huma.ErrorModel, retryAfter string) {
	secs := retryAfterSeconds(wait)
	return problemRateLimited.err("Too many attempts. Try again in " + waitWords(secs) + "."), strconv.Itoa(secs)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one.
func retryAfterSeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// waitWords says a wait in whole seconds as people do: "1 second",
// "40 seconds", "2 minutes" (rounded up: better to wait a little long).
func waitWords(secs int) string {
	switch {
	case secs == 1:
		return "1 second"
	case secs < 60:
		return strconv.Itoa(secs) + " seconds"
	case secs <= 60:
		return "1 minute"
	}
	return strconv.Itoa((secs+59)/60) + " minutes"
}
