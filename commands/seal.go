package commands

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts secrets (TOTP seeds, later media tokens) with DATA_KEY
// before they enter the log: AES-256-GCM with a random nonce, written as
// "v1.<base64 nonce+ciphertext>". The version prefix leaves room to rotate keys.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer takes a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("commands: sealer key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("commands: sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("commands: sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// ErrUnseal is returned for a sealed value that is malformed or was sealed
// with another key. It never says more.
var ErrUnseal = errors.New("commands: cannot unseal secret")

// Seal encrypts plain. context binds the ciphertext to where it belongs (the
// user id), so a sealed value copied to another user does not open.
func (s *Sealer) Seal(plain []byte, context string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("commands: seal: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, plain, []byte(context))
	return "v1." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced for the same context.
func (s *Sealer) Open(sealed, context string) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, "v1.")
	if !ok {
		return nil, ErrUnseal
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return nil, ErrUnseal
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}

// SealPasswordHash seals an argon2id PHC string for userID's stream: a copy
// of the log alone then gives no offline guessing material.
func (s *Sealer) SealPasswordHash(hash, userID string) (string, error) {
	sealed, err := s.Seal([]byte(hash), userID)
	if err != nil {
		return "", fmt.Errorf("seal password hash: %w", err)
	}
	return sealed, nil
}

// OpenPasswordHash returns the PHC string of a user's password hash as the
// log holds it: sealed for this user, or in clear in rows written before
// hashes were sealed (user.registered v1).
func (s *Sealer) OpenPasswordHash(stored, userID string) (string, error) {
	if strings.HasPrefix(stored, "$argon2id$") {
		return stored, nil
	}
	plain, err := s.Open(stored, userID)
	if err != nil {
		return "", fmt.Errorf("password hash of %s: %w", userID, err)
	}
	return string(plain), nil
}
