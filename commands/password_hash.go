package commands

import (
	"fmt"
	"strings"
)

// sealedPrefix starts every value Sealer.Seal writes; an argon2id PHC string
// starts with "$argon2id$", so the two cannot be mistaken for each other.
const sealedPrefix = "v1."

// sealPasswordHash seals an argon2id hash for the user's stream: a copy of
// the log alone then gives no offline guessing material.
func sealPasswordHash(s *Sealer, userID, hash string) (string, error) {
	sealed, err := s.Seal([]byte(hash), userID)
	if err != nil {
		return "", fmt.Errorf("seal password hash: %w", err)
	}
	return sealed, nil
}

// openPasswordHash returns the argon2id hash a user's stream holds: sealed
// by PasswordChanged, or in the clear as UserRegistered wrote it so far.
func openPasswordHash(s *Sealer, userID, stored string) (string, error) {
	if !strings.HasPrefix(stored, sealedPrefix) {
		return stored, nil
	}
	plain, err := s.Open(stored, userID)
	if err != nil {
		return "", fmt.Errorf("open password hash: %w", err)
	}
	return string(plain), nil
}
