package http

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// registerAPI registers every JSON operation.
func (s *Server) registerAPI(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/api/auth/login", Tags: []string{"auth"},
		Summary: "Sign in with a local account",
		Errors:  []int{http.StatusUnauthorized, http.StatusTooManyRequests},
	}, s.login)
	huma.Register(api, huma.Operation{
		OperationID: "whoami", Method: http.MethodGet, Path: "/whoami", Tags: []string{"auth"},
		Summary: "Who the current session belongs to",
	}, s.whoami)
	huma.Register(api, huma.Operation{
		OperationID: "me", Method: http.MethodGet, Path: "/me", Tags: []string{"auth"},
		Summary: "The signed-in user's name and id", Errors: []int{http.StatusUnauthorized},
	}, s.me)
	huma.Register(api, huma.Operation{
		OperationID: "mfa-enroll-status", Method: http.MethodGet, Path: "/mfa/enroll/status", Tags: []string{"mfa"},
		Summary: "Two-factor state of the signed-in user", Errors: []int{http.StatusUnauthorized, http.StatusForbidden},
	}, s.mfaEnrollStatus)
	huma.Register(api, huma.Operation{
		OperationID: "mfa-enroll-start", Method: http.MethodPost, Path: "/mfa/enroll/start", Tags: []string{"mfa"},
		Summary: "Create a new TOTP secret to set up an authenticator",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict},
	}, s.mfaEnrollStart)
	huma.Register(api, huma.Operation{
		OperationID: "mfa-enroll-verify", Method: http.MethodPost, Path: "/mfa/enroll/verify", Tags: []string{"mfa"},
		Summary: "Turn on TOTP with a code from the new authenticator",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusTooManyRequests},
	}, s.mfaEnrollVerify)
	huma.Register(api, huma.Operation{
		OperationID: "mfa-challenge-verify", Method: http.MethodPost, Path: "/mfa/challenge/verify", Tags: []string{"mfa"},
		Summary: "Answer the second-factor challenge with a TOTP or recovery code",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests},
	}, s.mfaChallengeVerify)
}
