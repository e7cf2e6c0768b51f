package http

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testCodec(now time.Time) sessionCodec {
	return sessionCodec{key: testKey, issuer: "https://auth.example.com", now: func() time.Time { return now }}
}

func validClaims(now time.Time) SessionClaims {
	return SessionClaims{
		SessionID: "S1", UserID: "U1", Kind: domain.SessionFull, Epoch: 3, Position: 42,
		Authorized: true, MFA: true, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}
}

func TestSessionCookieRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := testCodec(now)
	value, err := c.encode(validClaims(now))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.decode(value)
	if err != nil {
		t.Fatal(err)
	}
	if got != validClaims(now) {
		t.Errorf("decoded %+v, want %+v", got, validClaims(now))
	}
}

func TestSessionCookieRefusals(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	sign := func(c sessionCodec, s SessionClaims) string {
		v, err := c.encode(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	good := sign(testCodec(now), validClaims(now))
	otherKey := testCodec(now)
	otherKey.key = []byte("another key of thirty-two bytes!")
	otherIssuer := testCodec(now)
	otherIssuer.issuer = "https://evil.example"
	badKind := validClaims(now)
	badKind.Kind = "superuser"

	tests := []struct {
		name  string
		value string
		at    time.Time
	}{
		{"expired", good, now.Add(time.Hour + time.Second)},
		{"signed with another key", sign(otherKey, validClaims(now)), now},
		{"another issuer", sign(otherIssuer, validClaims(now)), now},
		{"unknown kind", sign(testCodec(now), badKind), now},
		{"tampered payload", tamper(good), now},
		{"alg none", unsigned(good), now},
		{"garbage", "not.a.jwt", now},
		{"empty", "", now},
		{"huge", strings.Repeat("a", 5000), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := testCodec(tt.at).decode(tt.value); err == nil {
				t.Errorf("decode accepted %+v", got)
			}
			// The server's codec, with its cache, refuses the same, even
			// after the good cookie was seen and remembered.
			at := tt.at
			c := newSessionCodec(testKey, "https://auth.example.com", func() time.Time { return at })
			at = now
			if _, err := c.decode(good); err != nil {
				t.Fatalf("the good cookie: %v", err)
			}
			at = tt.at
			if got, err := c.decode(tt.value); err == nil {
				t.Errorf("the caching codec accepted %+v", got)
			}
		})
	}
}

// TestSessionCookieJOSEHeader: only the exact header encode writes passes.
// Tokens jwx signs with the session key under another algorithm or with
// another header member are refused, though jwx's own parser would take
// some of them.
func TestSessionCookieJOSEHeader(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := testCodec(now)
	good, err := c.encode(validClaims(now))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(good, cookieHeader+".") {
		t.Fatalf("encode wrote header %q, decode expects %q", strings.Split(good, ".")[0], cookieHeader)
	}
	payload := strings.Split(good, ".")[1]
	signWith := func(alg jwa.SignatureAlgorithm, hdr jws.Headers) string {
		t.Helper()
		opts := []jws.WithKeySuboption{}
		if hdr != nil {
			opts = append(opts, jws.WithProtectedHeaders(hdr))
		}
		raw, err := base64.RawURLEncoding.DecodeString(payload)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := jws.Sign(raw, jws.WithKey(alg, testKey, opts...))
		if err != nil {
			t.Fatal(err)
		}
		return string(signed)
	}
	withKID := jws.NewHeaders()
	if err := withKID.Set(jws.KeyIDKey, "k1"); err != nil {
		t.Fatal(err)
	}
	jwtTyp := jws.NewHeaders()
	if err := jwtTyp.Set(jws.TypeKey, "JWT"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value string
	}{
		{"HS384", signWith(jwa.HS384(), jwtTyp)},
		{"HS512", signWith(jwa.HS512(), jwtTyp)},
		{"HS256 without typ", signWith(jwa.HS256(), nil)},
		{"HS256 with a kid", signWith(jwa.HS256(), withKID)},
		{"two signatures' worth of dots", good + "." + strings.Split(good, ".")[2]},
		{"signature with non-canonical trailing bits", flipLastBits(good)},
		{"header only", cookieHeader + "."},
		{"header and payload, no signature", cookieHeader + "." + payload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := c.decode(tt.value); err == nil {
				t.Errorf("decode accepted %+v", got)
			}
		})
	}
}

// flipLastBits changes the unused low bits of the signature's last base64
// character: lenient decoders read the same 32 bytes.
func flipLastBits(jwt string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, jwt[len(jwt)-1])
	return jwt[:len(jwt)-1] + string(alphabet[last^1])
}

// TestSessionCookieCache: a remembered cookie still expires on time, only
// verified cookies are remembered, and the cache stays within its bound.
func TestSessionCookieCache(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	at := now
	c := newSessionCodec(testKey, "https://auth.example.com", func() time.Time { return at })
	c.cache = newCookieCache(16)
	good, err := c.encode(validClaims(now))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second is a cache hit
		if got, err := c.decode(good); err != nil || got != validClaims(now) {
			t.Fatalf("decode = %+v, %v; want %+v", got, err, validClaims(now))
		}
	}
	if n := c.cache.len(); n != 1 {
		t.Errorf("cache holds %d cookies after one was verified, want 1", n)
	}
	at = validClaims(now).ExpiresAt
	if got, err := c.decode(good); err == nil {
		t.Errorf("a remembered cookie was accepted at its expiry: %+v", got)
	}
	at = now

	// Random and forged values never enter it.
	c.cache = newCookieCache(16)
	for i := range 1000 {
		forged := cookieHeader + "." + strings.Split(good, ".")[1] + "." + base64.RawURLEncoding.EncodeToString(sha256.New().Sum([]byte{byte(i), byte(i >> 8)})[:32])
		if _, err := c.decode(forged); err == nil {
			t.Fatalf("forged cookie %d accepted", i)
		}
	}
	if n := c.cache.len(); n != 0 {
		t.Errorf("cache holds %d entries after 1000 forged cookies, want 0", n)
	}

	// However many real cookies, it holds at most two generations, and a
	// cookie in use survives a rotation.
	for i := range 100 {
		s := validClaims(now)
		s.SessionID = fmt.Sprintf("S%d", i)
		v, err := c.encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.decode(v); err != nil {
			t.Fatal(err)
		}
		if _, err := c.decode(good); err != nil {
			t.Fatal(err)
		}
		if n := c.cache.len(); n > 32 {
			t.Fatalf("cache holds %d entries, bound is 32", n)
		}
	}
	if _, ok := c.cache.get(cookieKey(good)); !ok {
		t.Error("the cookie in use was evicted")
	}
}

// BenchmarkSessionCookieDecode compares jwx's generic parse (what decode
// did before) with the fixed-header check, and with a cache hit.
func BenchmarkSessionCookieDecode(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := newSessionCodec(testKey, "https://auth.example.com", func() time.Time { return now })
	good, err := c.encode(validClaims(now))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jwx.Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jwt.Parse([]byte(good), jwt.WithKey(jwa.HS256(), testKey), jwt.WithValidate(true),
				jwt.WithIssuer(c.issuer), jwt.WithClock(jwt.ClockFunc(c.now))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.verify(good, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.decode(good); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// tamper flips a character in the payload, keeping the signature.
func tamper(jwt string) string {
	parts := strings.Split(jwt, ".")
	b := []byte(parts[1])
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}

// unsigned rewrites the header to alg "none" and drops the signature.
func unsigned(jwt string) string {
	parts := strings.Split(jwt, ".")
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
}

func FuzzSessionCookieDecode(f *testing.F) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := testCodec(now)
	good, err := c.encode(validClaims(now))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(tamper(good))
	f.Add(unsigned(good))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, value string) {
		s, err := c.decode(value)
		if err != nil {
			return
		}
		// Whatever decodes must be exactly what this key signed.
		again, err := c.encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := c.decode(again); err != nil || back != s {
			t.Errorf("re-encoded claims do not decode the same: %+v vs %+v (%v)", back, s, err)
		}
		if value != good && s != validClaims(now) {
			t.Errorf("a forged value decoded: %q -> %+v", value, s)
		}
	})
}
