package totp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/totp"
)

// RFC 6238 appendix B's SHA-1 seed "12345678901234567890", in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestMatchReportsTheStep(t *testing.T) {
	at := time.Unix(1111111109, 0) // RFC 6238 vector: 07081804 (8 digits)
	tests := []struct {
		name     string
		code     string
		wantStep int64
		wantOK   bool
	}{
		{"RFC vector, 6 digits", "081804", totp.Step(at), true},
		{"previous step", mustCode(t, at.Add(-30*time.Second)), totp.Step(at) - 1, true},
		{"next step", mustCode(t, at.Add(30*time.Second)), totp.Step(at) + 1, true},
		{"two steps ago", mustCode(t, at.Add(-60*time.Second)), 0, false},
		{"spaces trimmed", " 081804 ", totp.Step(at), true},
		{"wrong", "000000", 0, false},
		{"too short", "08180", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := totp.Match(rfcSecret, tt.code, at)
			if ok != tt.wantOK || (ok && step != tt.wantStep) {
				t.Errorf("Match(%q) = %d, %v; want %d, %v", tt.code, step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

func mustCode(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := totp.Code(rfcSecret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateDrawsItsOwnQRCode(t *testing.T) {
	k, err := totp.Generate("AuthPortal", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Secret) != 32 {
		t.Errorf("secret %q: want 160 bits in base32", k.Secret)
	}
	png, err := k.QRCode(200)
	if err != nil || len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Errorf("QRCode gave %d bytes, err %v; want a PNG", len(png), err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, digests, err := totp.NewRecoveryCodes("U1")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != totp.RecoveryCodes || len(digests) != totp.RecoveryCodes {
		t.Fatalf("got %d codes, %d digests", len(codes), len(digests))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Errorf("code %q malformed or repeated", c)
		}
		seen[c] = true
		if !totp.LooksLikeRecoveryCode(c) {
			t.Errorf("%q not recognised as a recovery code", c)
		}
		if totp.RecoveryDigest("U1", strings.ToUpper(strings.ReplaceAll(c, "-", " "))) != digests[i] {
			t.Errorf("typed differently, %q no longer matches its digest", c)
		}
		if totp.RecoveryDigest("U2", c) == digests[i] {
			t.Error("digest does not depend on the user")
		}
		if strings.Contains(digests[i], strings.ReplaceAll(c, "-", "")) {
			t.Error("digest contains the code")
		}
	}
	if totp.LooksLikeRecoveryCode("123456") {
		t.Error("a TOTP code taken for a recovery code")
	}
}
