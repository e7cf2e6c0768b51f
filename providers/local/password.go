package local

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// OWASP's recommended argon2id configuration (m=19 MiB, t=2, p=1).
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MaxPasswordLen bounds the input to the hash: longer is no safer and
	// only costs time.
	MaxPasswordLen = 1024
)

var (
	// ErrBusy is returned when no hashing slot frees up before ctx ends.
	ErrBusy = errors.New("local: password hashing is saturated")
	// ErrMalformedHash is returned by Verify for a stored hash it cannot parse.
	ErrMalformedHash = errors.New("local: malformed password hash")
)

// Hasher hashes and verifies passwords. At most its concurrency limit run at
// once (each holds Params.Memory KiB); the rest wait for a slot.
type Hasher struct {
	params Params
	slots  chan struct{}

	// dummy is a real hash to verify against when no account matched. It is
	// made on first use, not at start: an argon2id run holds Params.Memory,
	// which an idle server has no reason to keep.
	dummyOnce sync.Once
	dummy     string
	dummyErr  error
}

// NewHasher returns a hasher allowing concurrent hashes at once.
func NewHasher(params Params, concurrent int) (*Hasher, error) {
	if concurrent < 1 {
		return nil, errors.New("local: concurrency must be at least 1")
	}
	return &Hasher{params: params, slots: make(chan struct{}, concurrent)}, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("local: password longer than %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("local: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string hash, comparing in
// constant time. The hash's own parameters are used, so raising Params later
// keeps old hashes working.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	if len(password) > MaxPasswordLen {
		return false, nil
	}
	p, salt, want, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyNobody spends the time of one Verify and reports false, so that a
// login for a name with no account takes as long as a wrong password.
func (h *Hasher) VerifyNobody(ctx context.Context, password string) error {
	h.dummyOnce.Do(func() {
		h.dummy, h.dummyErr = h.Hash(context.WithoutCancel(ctx), "dummy password to spend the same time on unknown users")
	})
	if h.dummyErr != nil {
		return h.dummyErr
	}
	_, err := h.Verify(ctx, h.dummy, password)
	return err
}

func parsePHC(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, ErrMalformedHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || threads == 0 || threads > 255 {
		return p, nil, nil, ErrMalformedHash
	}
	p.Threads = uint8(threads)
	// Refuse parameters that would let a stored hash exhaust memory.
	if p.Memory > 1<<20 || p.Time > 16 || p.Time == 0 {
		return p, nil, nil, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
