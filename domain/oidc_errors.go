package domain

import "errors"

// OAuth and OpenID Connect rule failures that callers branch on.
var (
	// ErrClientNotFound is returned for a client id with no registered, undeleted client.
	ErrClientNotFound = errors.New("domain: oauth client not found")
	// ErrClientPublic is returned when a secret is asked of a public client.
	ErrClientPublic = errors.New("domain: oauth client is public")
	// ErrGrantInvalid is returned for a code or refresh token that is
	// unknown, expired, revoked, or not bound to what was presented with
	// it (client, redirect_uri, PKCE verifier). The token endpoint answers
	// invalid_grant without saying which.
	ErrGrantInvalid = errors.New("domain: authorization grant is not valid")
	// ErrCodeReplayed is returned when a code that was already redeemed is
	// presented again; the events returned with it revoke what the first
	// redemption issued.
	ErrCodeReplayed = errors.New("domain: authorization code was already used")
	// ErrRefreshReused is returned when a refresh token that was already
	// rotated is presented again; the events returned with it revoke the
	// whole family.
	ErrRefreshReused = errors.New("domain: refresh token was already used")
)
