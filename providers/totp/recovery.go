package totp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// RecoveryCodes is how many recovery codes an enrollment hands out.
const RecoveryCodes = 10

// recoveryAlphabet leaves out 0/O, 1/I/L and U so codes read back unambiguously.
const recoveryAlphabet = "abcdefghjkmnpqrstvwxyz23456789"

// NewRecoveryCodes returns fresh single-use codes ("xxxx-xxxx-xxxx-xxxx",
// about 78 bits each) and their digests for storage.
func NewRecoveryCodes(userID string) (codes, digests []string, err error) {
	for range RecoveryCodes {
		var b strings.Builder
		raw := make([]byte, 16)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, fmt.Errorf("totp: recovery codes: %w", err)
		}
		for i, r := range raw {
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			// 256 % 30 != 0: a slight bias over 16 characters keeps well over
			// 64 bits of entropy, plenty for a code that is also rate limited.
			b.WriteByte(recoveryAlphabet[int(r)%len(recoveryAlphabet)])
		}
		codes = append(codes, b.String())
		digests = append(digests, RecoveryDigest(userID, b.String()))
	}
	return codes, digests, nil
}

// LooksLikeRecoveryCode tells a recovery code from a 6-digit TOTP code.
func LooksLikeRecoveryCode(s string) bool { return len(normalizeRecovery(s)) == 16 }

func normalizeRecovery(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(s))
}

// RecoveryDigest is what is stored for a code: SHA-256 salted with the user
// id. The codes are random and long, so a fast hash is enough; the salt stops
// one table from serving every user.
func RecoveryDigest(userID, code string) string {
	sum := sha256.Sum256([]byte("authportal-recovery:" + userID + ":" + normalizeRecovery(code)))
	return hex.EncodeToString(sum[:])
}
