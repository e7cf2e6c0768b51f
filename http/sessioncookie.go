package http

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
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

// sessionCodec signs and verifies session cookies (HS256 JWTs). Every
// request that carries a cookie is checked, and the forward-auth endpoint
// sees every request to every protected app, so decode does not go through
// a generic JWT parse: the cookie must have exactly the header encode
// writes, its HMAC is compared in constant time, and its payload is decoded
// into one struct. Cookies that verified are remembered (cache, keyed by a
// hash of the value) so that the crypto and the decode run once per cookie;
// expiry is checked on every request all the same, and whether the session
// still stands is the access model's to say, every time.
type sessionCodec struct {
	key    []byte
	issuer string
	now    func() time.Time
	cache  *cookieCache // nil: no cache
	macs   *sync.Pool   // of hash.Hash: HMAC-SHA256 keyed with key
}

func newSessionCodec(key []byte, issuer string, now func() time.Time) sessionCodec {
	return sessionCodec{key: key, issuer: issuer, now: now, cache: newCookieCache(cookieCacheGeneration),
		macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
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

// cookieHeader is the JOSE header encode writes, base64url-encoded:
// {"alg":"HS256","typ":"JWT"}. Any other header (another alg, none, a kid,
// the same members in another order) is refused before anything else is read.
const cookieHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// maxCookieLen bounds what decode reads; real cookies are about 300 bytes.
const maxCookieLen = 4096

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
	if !strings.HasPrefix(string(signed), cookieHeader+".") {
		// decode would refuse it: better no cookie than one that never works.
		return "", errors.New("session cookie: sign: unexpected JOSE header")
	}
	return string(signed), nil
}

var errBadCookie = errors.New("session cookie is not valid")

// cookiePayload is the JWT's claims, as encode writes them.
type cookiePayload struct {
	Iss  string `json:"iss"`
	Sub  string `json:"sub"`
	Iat  int64  `json:"iat"`
	Exp  int64  `json:"exp"`
	Sid  string `json:"sid"`
	Kind string `json:"knd"`
	Epo  int64  `json:"epo"`
	Pos  int64  `json:"pos"`
	Aut  bool   `json:"aut"`
	MFA  bool   `json:"mfa"`
}

// decode verifies a cookie value and returns its claims.
func (c sessionCodec) decode(value string) (SessionClaims, error) {
	if len(value) > maxCookieLen || len(value) < len(cookieHeader)+2 {
		return SessionClaims{}, errBadCookie
	}
	now := c.now()
	var key [sha256.Size]byte
	if c.cache != nil {
		key = cookieKey(value)
		if s, ok := c.cache.get(key); ok {
			if !now.Before(s.ExpiresAt) {
				return SessionClaims{}, errBadCookie
			}
			return s, nil
		}
	}
	s, err := c.verify(value, now)
	if err != nil {
		return SessionClaims{}, err
	}
	if c.cache != nil {
		c.cache.put(key, s)
	}
	return s, nil
}

// verify is decode without the cache: header, signature, payload, claims.
func (c sessionCodec) verify(value string, now time.Time) (SessionClaims, error) {
	if len(value) < len(cookieHeader)+2 || !strings.HasPrefix(value, cookieHeader) || value[len(cookieHeader)] != '.' {
		return SessionClaims{}, errBadCookie
	}
	dot := strings.LastIndexByte(value, '.')
	if dot <= len(cookieHeader) {
		return SessionClaims{}, errBadCookie
	}
	signed, sig := value[:dot], value[dot+1:]
	payload := signed[len(cookieHeader)+1:]
	if strings.IndexByte(payload, '.') >= 0 || base64.RawURLEncoding.DecodedLen(len(sig)) != sha256.Size {
		return SessionClaims{}, errBadCookie
	}
	var got, want [sha256.Size]byte
	if n, err := b64.Decode(got[:], []byte(sig)); err != nil || n != sha256.Size {
		return SessionClaims{}, errBadCookie
	}
	mac := c.mac()
	mac.Write([]byte(signed))
	mac.Sum(want[:0])
	c.putMAC(mac)
	if !hmac.Equal(got[:], want[:]) {
		return SessionClaims{}, errBadCookie
	}
	raw := make([]byte, base64.RawURLEncoding.DecodedLen(len(payload)))
	n, err := b64.Decode(raw, []byte(payload))
	if err != nil {
		return SessionClaims{}, errBadCookie
	}
	var p cookiePayload
	if err := json.Unmarshal(raw[:n], &p); err != nil {
		return SessionClaims{}, errBadCookie
	}
	s := SessionClaims{
		SessionID: p.Sid, UserID: p.Sub, Kind: domain.SessionKind(p.Kind), Epoch: p.Epo, Position: p.Pos,
		Authorized: p.Aut, MFA: p.MFA, IssuedAt: time.Unix(p.Iat, 0).UTC(), ExpiresAt: time.Unix(p.Exp, 0).UTC(),
	}
	if p.Iss != c.issuer || p.Exp == 0 || !now.Before(s.ExpiresAt) || s.UserID == "" || s.SessionID == "" {
		return SessionClaims{}, errBadCookie
	}
	switch s.Kind {
	case domain.SessionFull, domain.SessionMFAChallenge, domain.SessionMFAEnroll:
	default:
		return SessionClaims{}, errBadCookie
	}
	return s, nil
}

// b64 is base64url without padding, refusing non-zero trailing bits, so
// that one signature has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

func (c sessionCodec) mac() hash.Hash {
	if c.macs != nil {
		if h, ok := c.macs.Get().(hash.Hash); ok {
			return h
		}
	}
	return hmac.New(sha256.New, c.key)
}

func (c sessionCodec) putMAC(h hash.Hash) {
	if c.macs != nil {
		h.Reset()
		c.macs.Put(h)
	}
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
