package commands

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Lifetimes of what the OpenID Connect provider issues.
const (
	CodeTTL    = time.Minute         // RFC 9700: short, single use
	AccessTTL  = time.Hour           // opaque access tokens (and ID tokens)
	RefreshTTL = 30 * 24 * time.Hour // a refresh token also dies with its session
)

// ErrRequestUsed is returned when a pending authorization request was
// already answered: its reference is single-use.
var ErrRequestUsed = errors.New("commands: authorization request already answered")

// GrantsHandler handles the authorization grant use cases: issue a code,
// redeem it, refresh, revoke; and the consents that go with them.
type GrantsHandler struct {
	store Store
	now   Clock
}

// NewGrantsHandler panics on a nil dependency.
func NewGrantsHandler(store Store, now Clock) GrantsHandler {
	if store == nil || now == nil {
		panic("commands.NewGrantsHandler: nil dependency")
	}
	return GrantsHandler{store: store, now: now}
}

// IssueCode records an authorization code for a signed-in, authorized
// user. The caller (the authorize endpoint) has checked the session and
// the user's standing with the access model; this checks the client again
// against its stream.
type IssueCode struct {
	GrantID       string // the pending request's id: the grant stream is new, so the request is answered once
	ClientID      string
	RedirectURI   string
	Scopes        []string
	Nonce         string
	CodeChallenge string
	UserID        string
	SessionID     string
	Epoch         int64
	AuthTime      time.Time
	AMR           []string
	Consented     bool // the user agreed on the consent page just now: remember it
	Meta          domain.Metadata
}

// IssueCodeResult holds the code, shown once.
type IssueCodeResult struct {
	Result
	Code string
}

// IssueCode appends the consent (when given) and the CodeIssued.
func (h GrantsHandler) IssueCode(ctx context.Context, cmd IssueCode) (IssueCodeResult, error) {
	if !validID(cmd.GrantID) {
		return IssueCodeResult{}, ErrRequestUsed
	}
	return retry(ctx, "issue code", func() (IssueCodeResult, error) {
		c, _, err := loadClient(ctx, h.store, cmd.ClientID)
		if err != nil {
			return IssueCodeResult{}, err
		}
		if !c.HasRedirectURI(cmd.RedirectURI) || !c.AllowsScopes(cmd.Scopes) {
			return IssueCodeResult{}, domain.ErrGrantInvalid
		}
		if _, version, err := h.store.Load(ctx, domain.GrantStream(cmd.GrantID)); err != nil {
			return IssueCodeResult{}, err
		} else if version > 0 {
			return IssueCodeResult{}, ErrRequestUsed
		}
		var appends []eventstore.Append
		if cmd.Consented && !c.FirstParty {
			events, version, err := h.store.Load(ctx, domain.ConsentStream(cmd.UserID, c.ID))
			if err != nil {
				return IssueCodeResult{}, err
			}
			if granted := domain.FoldConsent(events).Grant(cmd.UserID, c.ID, cmd.Scopes); len(granted) > 0 {
				appends = append(appends, eventstore.Append{StreamID: domain.ConsentStream(cmd.UserID, c.ID), Expected: eventstore.Exactly(version), Events: granted})
			}
		}
		code := cmd.GrantID + "." + randomToken()
		appends = append(appends, eventstore.Append{StreamID: domain.GrantStream(cmd.GrantID), Expected: eventstore.NoStream,
			Events: []domain.Event{domain.CodeIssued{GrantID: cmd.GrantID, ClientID: c.ID, UserID: cmd.UserID, SessionID: cmd.SessionID,
				Epoch: cmd.Epoch, CodeDigest: Digest(code), CodeChallenge: cmd.CodeChallenge, RedirectURI: cmd.RedirectURI,
				Scopes: cmd.Scopes, Nonce: cmd.Nonce, AuthTime: cmd.AuthTime, AMR: cmd.AMR, ExpiresAt: h.now().Add(CodeTTL)}}})
		res, err := h.store.Append(ctx, cmd.Meta, appends...)
		if err != nil {
			return IssueCodeResult{}, err
		}
		return IssueCodeResult{Result: Result{Position: res.LastPosition}, Code: code}, nil
	})
}

// Consented reports whether the user already let the client have scopes.
func (h GrantsHandler) Consented(ctx context.Context, userID, clientID string, scopes []string) (bool, error) {
	events, _, err := h.store.Load(ctx, domain.ConsentStream(userID, clientID))
	if err != nil {
		return false, fmt.Errorf("load consent: %w", err)
	}
	return domain.FoldConsent(events).Covers(scopes), nil
}

// Tokens is what a redemption or a refresh hands out: the tokens in clear
// (shown once) and the grant they belong to, for the ID token's claims.
type Tokens struct {
	Result
	Grant           domain.Grant
	Access          string
	AccessExpiresAt time.Time
	Refresh         string // "" without offline_access
}

// RedeemCode exchanges a code at the token endpoint, for an authenticated client.
type RedeemCode struct {
	Code        string
	ClientID    string
	RedirectURI string
	Verifier    string
	Meta        domain.Metadata
}

// Redeem exchanges the code for tokens. The append expects the version it
// read, so that of two redemptions racing on any nodes exactly one wins; a
// later one finds the code redeemed, revokes the grant and gets
// domain.ErrCodeReplayed.
func (h GrantsHandler) Redeem(ctx context.Context, cmd RedeemCode) (Tokens, error) {
	grantID, ok := grantOf(cmd.Code)
	if !ok {
		return Tokens{}, domain.ErrGrantInvalid
	}
	var revokedAt int64 // retry keeps no result with an error: a replay's revocation position is kept here
	toks, err := retry(ctx, "redeem code", func() (Tokens, error) {
		events, version, err := h.store.Load(ctx, domain.GrantStream(grantID))
		if err != nil {
			return Tokens{}, err
		}
		g := domain.FoldGrant(events)
		now := h.now()
		out, issued := newTokens(g.ID, now)
		decided, err := g.Redeem(domain.Redemption{CodeDigest: Digest(cmd.Code), ClientID: cmd.ClientID,
			RedirectURI: cmd.RedirectURI, Challenge: S256(cmd.Verifier)}, issued, now)
		t, err := h.settle(ctx, cmd.Meta, g, version, decided, err, out)
		revokedAt = t.Position
		return t, err
	})
	if err != nil {
		toks.Position = revokedAt
	}
	return toks, err
}

// RefreshTokens rotates a refresh token, for an authenticated client.
type RefreshTokens struct {
	Refresh  string
	ClientID string
	Meta     domain.Metadata
}

// Refresh rotates the refresh token. A spent one revokes the grant and is
// domain.ErrRefreshReused.
func (h GrantsHandler) Refresh(ctx context.Context, cmd RefreshTokens) (Tokens, error) {
	grantID, ok := grantOf(cmd.Refresh)
	if !ok {
		return Tokens{}, domain.ErrGrantInvalid
	}
	var revokedAt int64
	toks, err := retry(ctx, "refresh", func() (Tokens, error) {
		g, version, err := h.grant(ctx, grantID)
		if err != nil {
			return Tokens{}, err
		}
		now := h.now()
		out, issued := newTokens(g.ID, now)
		decided, err := g.Refresh(Digest(cmd.Refresh), cmd.ClientID, issued, now)
		t, err := h.settle(ctx, cmd.Meta, g, version, decided, err, out)
		revokedAt = t.Position
		return t, err
	})
	if err != nil {
		toks.Position = revokedAt
	}
	return toks, err
}

// settle appends what a redemption or refresh decided: the tokens' events,
// or the revocation a replay calls for (returned with its error).
func (h GrantsHandler) settle(ctx context.Context, meta domain.Metadata, g domain.Grant, version int64, events []domain.Event, decideErr error, out Tokens) (Tokens, error) {
	if len(events) == 0 {
		return Tokens{}, decideErr
	}
	res, err := h.store.Append(ctx, meta, eventstore.Append{StreamID: domain.GrantStream(g.ID), Expected: eventstore.Exactly(version), Events: events})
	if err != nil {
		return Tokens{}, err
	}
	if decideErr != nil {
		return Tokens{Result: Result{Position: res.LastPosition}}, decideErr
	}
	g.Apply(events[0])
	out.Grant, out.Position = g, res.LastPosition
	if g.RefreshDigest == "" {
		out.Refresh = ""
	}
	return out, nil
}

// Grant loads a grant by id (for the ID token of a refresh, and revocation).
func (h GrantsHandler) grant(ctx context.Context, id string) (domain.Grant, int64, error) {
	events, version, err := h.store.Load(ctx, domain.GrantStream(id))
	if err != nil {
		return domain.Grant{}, 0, err
	}
	return domain.FoldGrant(events), version, nil
}

// RevokeGrant ends every token of a grant at its client's request (RFC 7009).
type RevokeGrant struct {
	GrantID  string
	ClientID string // the grant must be this client's; another's is left alone
	Reason   string
	Meta     domain.Metadata
}

// Revoke appends GrantRevoked; a grant that is not the client's, unknown,
// or already revoked appends nothing and is no error (RFC 7009 §2.2).
func (h GrantsHandler) Revoke(ctx context.Context, cmd RevokeGrant) (Result, error) {
	if !validID(cmd.GrantID) {
		return Result{}, nil
	}
	return retry(ctx, "revoke grant", func() (Result, error) {
		g, version, err := h.grant(ctx, cmd.GrantID)
		if err != nil || g.ClientID != cmd.ClientID {
			return Result{}, err
		}
		events := g.Revoke(cmd.Reason)
		if len(events) == 0 {
			return Result{}, nil
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.GrantStream(g.ID), Expected: eventstore.Exactly(version), Events: events})
		return Result{Position: res.LastPosition}, err
	})
}

// RefreshGrant is the grant a refresh token names, when the token is the
// grant's current or a spent one ("" otherwise): what revocation revokes.
func (h GrantsHandler) RefreshGrant(ctx context.Context, token string) (string, error) {
	id, ok := grantOf(token)
	if !ok {
		return "", nil
	}
	g, _, err := h.grant(ctx, id)
	if err != nil {
		return "", err
	}
	d := Digest(token)
	if g.RefreshDigest == d {
		return g.ID, nil
	}
	for _, spent := range g.SpentRefresh {
		if spent == d {
			return g.ID, nil
		}
	}
	return "", nil
}

// newTokens makes an access token and a refresh token for a grant.
func newTokens(grantID string, now time.Time) (Tokens, domain.IssuedTokens) {
	access, refresh := randomToken(), grantID+"."+randomToken()
	return Tokens{Access: access, AccessExpiresAt: now.Add(AccessTTL), Refresh: refresh},
		domain.IssuedTokens{AccessDigest: Digest(access), AccessExpiresAt: now.Add(AccessTTL),
			RefreshDigest: Digest(refresh), RefreshExpiresAt: now.Add(RefreshTTL)}
}

// grantOf reads the grant id a code or refresh token starts with.
func grantOf(token string) (string, bool) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok || secret == "" || len(token) > 200 || !validID(id) {
		return "", false
	}
	return id, true
}

// S256 is the PKCE transform of a code_verifier (RFC 7636 §4.2).
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Grant returns a grant by id (a zero grant when there is none).
func (h GrantsHandler) Grant(ctx context.Context, id string) (domain.Grant, error) {
	if !validID(id) {
		return domain.Grant{}, nil
	}
	g, _, err := h.grant(ctx, id)
	return g, err
}

// Session returns a session as its stream has it: the authorize endpoint
// needs when the user authenticated and how, which the cookie does not carry.
func (h GrantsHandler) Session(ctx context.Context, id string) (domain.Session, error) {
	s, _, err := loadSession(ctx, h.store, id)
	return s, err
}
