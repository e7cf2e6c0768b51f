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
	"sync/atomic"
	"time"

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
// once (each holds Params.Memory KiB); the rest wait for a slot, for at most
// MaxWait, then give up with ErrBusy. One more slot is reserved for
// requests marked WithPriority (a browser that signed in as that user
// before), so that a flood of anonymous attempts cannot starve them.
type Hasher struct {
	params   Params
	slots    chan struct{}
	priority chan struct{}
	// MaxWait bounds how long a hash waits for a slot: under a flood it is
	// better to shed early than to queue until the client gives up.
	MaxWait time.Duration
	typical atomic.Int64 // a recent Verify's duration, in ns: what a stand-in spends

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
	return &Hasher{params: params, slots: make(chan struct{}, concurrent), priority: make(chan struct{}, 1), MaxWait: 2 * time.Second}, nil
}

type priorityKey struct{}

// WithPriority marks ctx as a sign-in from a known device: its hash may also
// take the reserved slot.
func WithPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

// acquire takes a slot and returns the function that gives it back.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	reserved := h.priority
	if prio, _ := ctx.Value(priorityKey{}).(bool); !prio {
		reserved = nil // a nil channel is never ready: ordinary requests never take it
	}
	wait := time.NewTimer(h.MaxWait)
	defer wait.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case reserved <- struct{}{}:
		return func() { <-h.priority }, nil
	case <-wait.C:
		return nil, fmt.Errorf("%w: no slot within %s", ErrBusy, h.MaxWait)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

// Hash returns the PHC string of password with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("local: password longer than %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("local: salt: %w", err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
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
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	start := time.Now()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	h.typical.Store(int64(time.Since(start)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// StandIn spends about the time of a recent Verify without using the CPU:
// for attempts at names that match no account once their shared budget is
// spent, so that a flood of them neither starves real sign-ins of hashing
// slots nor answers faster than a real check would.
func (h *Hasher) StandIn(ctx context.Context) error {
	d := time.Duration(h.typical.Load())
	if d == 0 {
		return h.VerifyNobody(ctx, "")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
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
