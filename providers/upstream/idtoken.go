package upstream

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/authportal/authportal/providers"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// verifyIDToken verifies the ID token of a token answer with v (signature
// by the issuer's keys, issuer, audience, expiry) and that its nonce is
// nonce (constant time). A missing token is unavailability (the provider
// answered unlike itself); any other failure is a refusal, except keys that
// could not be fetched.
func verifyIDToken(ctx context.Context, provider string, v *oidc.IDTokenVerifier, tok *oauth2.Token, nonce string) (*oidc.IDToken, *Error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, &Error{Provider: provider, Step: "id_token", Kind: providers.ErrUnavailable, Cause: errors.New("token answer has no id_token")}
	}
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, verifyError(provider, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, &Error{Provider: provider, Step: "nonce", Kind: providers.ErrInvalidCredentials, Cause: errors.New("ID token nonce does not match")}
	}
	return idt, nil
}

// verifyError maps an ID token verification failure. A key set that could
// not be fetched is unavailability; everything else (bad signature, wrong
// issuer or audience, expired) is a refusal.
func verifyError(provider string, err error) *Error {
	e := &Error{Provider: provider, Step: "id_token", Kind: providers.ErrInvalidCredentials, Cause: err}
	if errors.Is(err, context.DeadlineExceeded) || isFetchKeysError(err) {
		e.Kind = providers.ErrUnavailable
	}
	return e
}

// isFetchKeysError reports whether go-oidc failed to fetch the issuer's
// keys; it wraps that failure with %v, so only its text tells.
func isFetchKeysError(err error) bool {
	return strings.Contains(err.Error(), "fetching keys")
}
