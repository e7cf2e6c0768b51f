package http

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Cookie names. The pending-MFA cookie is a cookie of its own, which only
// the MFA operations and logout read: a session that owes a second factor is
// never taken for a full one. It is sent site-wide so that POST /logout can
// end it too.
const (
	sessionCookie = "authportal_session"
	pendingCookie = "authportal_mfa"
	pendingPath   = "/"
)

// SessionClaims is what the signed cookie carries. The cookie proves who
// and which session; whether that session still stands is checked against
// the access model on every request.
type SessionClaims struct {
	SessionID  string
	UserID     string
	Kind       domain.SessionKind
	Epoch      int64
	Position   int64 // the log position of the session's start: readers wait for it
	Authorized bool
	MFA        bool
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// sessionCodec signs and verifies session cookies (HS256 JWTs).
type sessionCodec struct {
	key    []byte
	issuer string
	now    func() time.Time
}

// Claim names are fixed: jwx once let crafted names inject members
// (GHSA-4cf7-xm37-g63h), and nothing here takes a name from input.
const (
	claimSession = "sid"
	claimKind    = "knd"
	claimEpoch   = "epo"
	claimPos     = "pos"
	claimAuth    = "aut"
	claimMFA     = "mfa"
)

func (c sessionCodec) encode(s SessionClaims) (string, error) {
	tok, err := jwt.NewBuilder().
		Issuer(c.issuer).
		Subject(s.UserID).
		IssuedAt(s.IssuedAt).
		Expiration(s.ExpiresAt).
		Claim(claimSession, s.SessionID).
		Claim(claimKind, string(s.Kind)).
		Claim(claimEpoch, s.Epoch).
		Claim(claimPos, s.Position).
		Claim(claimAuth, s.Authorized).
		Claim(claimMFA, s.MFA).
		Build()
	if err != nil {
		return "", fmt.Errorf("session cookie: build: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), c.key))
	if err != nil {
		return "", fmt.Errorf("session cookie: sign: %w", err)
	}
	return string(signed), nil
}

var errBadCookie = errors.New("session cookie is not valid")

func (c sessionCodec) decode(value string) (SessionClaims, error) {
	if len(value) > 4096 {
		return SessionClaims{}, errBadCookie
	}
	tok, err := jwt.Parse([]byte(value),
		jwt.WithKey(jwa.HS256(), c.key),
		jwt.WithValidate(true),
		jwt.WithIssuer(c.issuer),
		jwt.WithClock(jwt.ClockFunc(c.now)),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
	)
	if err != nil {
		return SessionClaims{}, errBadCookie
	}
	var s SessionClaims
	var kind string
	var epoch, pos float64 // JSON numbers decode as float64
	sub, _ := tok.Subject()
	iat, _ := tok.IssuedAt()
	exp, _ := tok.Expiration()
	s.UserID, s.IssuedAt, s.ExpiresAt = sub, iat, exp
	if tok.Get(claimSession, &s.SessionID) != nil || tok.Get(claimKind, &kind) != nil ||
		tok.Get(claimEpoch, &epoch) != nil || tok.Get(claimPos, &pos) != nil ||
		tok.Get(claimAuth, &s.Authorized) != nil || tok.Get(claimMFA, &s.MFA) != nil {
		return SessionClaims{}, errBadCookie
	}
	s.Kind, s.Epoch, s.Position = domain.SessionKind(kind), int64(epoch), int64(pos)
	if s.UserID == "" || s.SessionID == "" {
		return SessionClaims{}, errBadCookie
	}
	switch s.Kind {
	case domain.SessionFull, domain.SessionMFAChallenge, domain.SessionMFAEnroll:
	default:
		return SessionClaims{}, errBadCookie
	}
	return s, nil
}

// cookieJar builds the session cookies with the configured scope.
type cookieJar struct {
	domain string
	secure bool
}

// issue builds the cookie that carries s: the full session cookie, or the
// pending-MFA one.
func (j cookieJar) issue(s SessionClaims, value string, now time.Time) http.Cookie {
	name, path := sessionCookie, "/"
	if s.Kind.Pending() {
		name, path = pendingCookie, pendingPath
	}
	return http.Cookie{
		Name: name, Value: value, Path: path, Domain: j.domain,
		Expires: s.ExpiresAt, MaxAge: max(1, int(s.ExpiresAt.Sub(now).Seconds())),
		HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteLaxMode,
	}
}

// expire builds a cookie that deletes the named one.
func (j cookieJar) expire(name string) http.Cookie {
	path := "/"
	if name == pendingCookie {
		path = pendingPath
	}
	return http.Cookie{
		Name: name, Value: "", Path: path, Domain: j.domain, MaxAge: -1,
		HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteLaxMode,
	}
}

// claimsOf turns a started session into cookie claims.
func claimsOf(s domain.SessionStarted, position int64, now time.Time) SessionClaims {
	return SessionClaims{
		SessionID: s.SessionID, UserID: s.UserID, Kind: s.Kind, Epoch: s.Epoch, Position: position,
		Authorized: s.Authorized, MFA: s.MFA, IssuedAt: now, ExpiresAt: s.ExpiresAt,
	}
}

// sessionCookies issues the cookie for a new session and expires the other
// kind, so a browser never holds a pending and a full session at once.
func (s *Server) sessionCookies(started domain.SessionStarted, position int64) ([]http.Cookie, error) {
	now := s.deps.Now()
	claims := claimsOf(started, position, now)
	value, err := s.codec.encode(claims)
	if err != nil {
		return nil, err
	}
	other := pendingCookie
	if started.Kind.Pending() {
		other = sessionCookie
	}
	return []http.Cookie{s.jar.issue(claims, value, now), s.jar.expire(other)}, nil
}
