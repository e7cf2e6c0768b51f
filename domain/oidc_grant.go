package domain

import (
	"crypto/subtle"
	"slices"
	"time"
)

// MaxRefreshRotations bounds a grant's stream: each refresh appends one
// event, and no request may read a stream that grows without bound. A
// client that refreshes this often signs its user in again.
const MaxRefreshRotations = 500

// Grant is the authorization grant aggregate, folded from its stream.
type Grant struct {
	ID            string
	ClientID      string
	UserID        string
	SessionID     string
	Epoch         int64
	CodeDigest    string
	CodeChallenge string
	RedirectURI   string
	Scopes        []string
	Nonce         string
	AuthTime      time.Time
	AMR           []string
	CodeExpiresAt time.Time
	Redeemed      bool
	Revoked       bool
	// RefreshDigest is the one refresh token that may be used now; the
	// spent ones are remembered so that a reuse is recognised.
	RefreshDigest    string
	RefreshExpiresAt time.Time
	SpentRefresh     []string
	Rotations        int
}

// Apply folds one event into the grant.
func (g *Grant) Apply(e Event) {
	switch e := e.(type) {
	case CodeIssued:
		*g = Grant{ID: e.GrantID, ClientID: e.ClientID, UserID: e.UserID, SessionID: e.SessionID, Epoch: e.Epoch,
			CodeDigest: e.CodeDigest, CodeChallenge: e.CodeChallenge, RedirectURI: e.RedirectURI, Scopes: e.Scopes,
			Nonce: e.Nonce, AuthTime: e.AuthTime, AMR: e.AMR, CodeExpiresAt: e.ExpiresAt}
	case CodeRedeemed:
		g.Redeemed = true
		g.RefreshDigest, g.RefreshExpiresAt = e.RefreshDigest, e.RefreshExpiresAt
	case RefreshRotated:
		g.SpentRefresh = append(g.SpentRefresh, g.RefreshDigest)
		g.RefreshDigest, g.RefreshExpiresAt = e.RefreshDigest, e.RefreshExpiresAt
		g.Rotations++
	case GrantRevoked:
		g.Revoked = true
	}
}

// FoldGrant builds a grant from its stream.
func FoldGrant(events []Event) Grant {
	var g Grant
	for _, e := range events {
		g.Apply(e)
	}
	return g
}

// HasScope reports whether the grant holds scope.
func (g Grant) HasScope(scope string) bool { return slices.Contains(g.Scopes, scope) }

// IssuedTokens are the digests and lifetimes of tokens a redemption or a
// refresh hands out. RefreshDigest is "" when no refresh token is given.
type IssuedTokens struct {
	AccessDigest     string
	AccessExpiresAt  time.Time
	RefreshDigest    string
	RefreshExpiresAt time.Time
}

// Redemption is what the token endpoint was given with a code.
type Redemption struct {
	CodeDigest  string
	ClientID    string
	RedirectURI string
	// Challenge is the S256 transform of the code_verifier presented.
	Challenge string
}

// Redeem exchanges the code for tokens. A code presented a second time is
// ErrCodeReplayed, returned with the events that revoke everything the
// first redemption issued (RFC 9700 §4.5.3). Any other mismatch is
// ErrGrantInvalid and no event: it may be someone guessing.
func (g Grant) Redeem(r Redemption, tokens IssuedTokens, now time.Time) ([]Event, error) {
	if g.ID == "" || !equalDigest(g.CodeDigest, r.CodeDigest) {
		return nil, ErrGrantInvalid
	}
	if g.Revoked {
		return nil, ErrGrantInvalid
	}
	if g.Redeemed {
		return []Event{GrantRevoked{GrantID: g.ID, Reason: "code_reused"}}, ErrCodeReplayed
	}
	if !now.Before(g.CodeExpiresAt) || g.ClientID != r.ClientID || g.RedirectURI != r.RedirectURI ||
		!equalDigest(g.CodeChallenge, r.Challenge) {
		return nil, ErrGrantInvalid
	}
	if !g.HasScope(ScopeOfflineAccess) {
		tokens.RefreshDigest, tokens.RefreshExpiresAt = "", time.Time{}
	}
	return []Event{CodeRedeemed{GrantID: g.ID, ClientID: g.ClientID, UserID: g.UserID, SessionID: g.SessionID, Epoch: g.Epoch,
		Scopes: g.Scopes, AccessDigest: tokens.AccessDigest, AccessExpiresAt: tokens.AccessExpiresAt,
		RefreshDigest: tokens.RefreshDigest, RefreshExpiresAt: tokens.RefreshExpiresAt}}, nil
}

// Refresh rotates the refresh token whose digest is given. A refresh token
// that was already rotated is ErrRefreshReused, returned with the events
// that revoke the whole grant: either the client or a thief holds a copy,
// and the portal cannot tell which.
func (g Grant) Refresh(digest, clientID string, tokens IssuedTokens, now time.Time) ([]Event, error) {
	if g.ID == "" || !g.Redeemed || g.Revoked || g.ClientID != clientID || digest == "" {
		return nil, ErrGrantInvalid
	}
	if slices.ContainsFunc(g.SpentRefresh, func(d string) bool { return equalDigest(d, digest) }) {
		return []Event{GrantRevoked{GrantID: g.ID, Reason: "refresh_reused"}}, ErrRefreshReused
	}
	if g.RefreshDigest == "" || !equalDigest(g.RefreshDigest, digest) || !now.Before(g.RefreshExpiresAt) ||
		g.Rotations >= MaxRefreshRotations {
		return nil, ErrGrantInvalid
	}
	return []Event{RefreshRotated{GrantID: g.ID, ClientID: g.ClientID, UserID: g.UserID, SessionID: g.SessionID, Epoch: g.Epoch,
		Scopes: g.Scopes, AccessDigest: tokens.AccessDigest, AccessExpiresAt: tokens.AccessExpiresAt,
		RefreshDigest: tokens.RefreshDigest, RefreshExpiresAt: tokens.RefreshExpiresAt}}, nil
}

// Revoke ends every token of the grant; a revoked grant stays so.
func (g Grant) Revoke(reason string) []Event {
	if g.ID == "" || g.Revoked {
		return nil
	}
	return []Event{GrantRevoked{GrantID: g.ID, Reason: reason}}
}

func equalDigest(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
