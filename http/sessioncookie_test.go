package http

import (
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
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
		})
	}
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
