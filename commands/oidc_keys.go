package commands

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// signingKeyContext binds a sealed signing key to the keys' stream.
const signingKeyContext = "oidc-signing-key"

// SigningKey is an unsealed signing key.
type SigningKey struct {
	KeyID       string
	Private     *rsa.PrivateKey
	ActivatesAt time.Time
}

// KeyRing holds the provider's signing keys as the log has them, unsealed,
// reloading the stream at most once per refresh interval: every node reads
// the same stream, and a rotation publishes its key long before it signs.
type KeyRing struct {
	store   Store
	sealer  *Sealer
	now     Clock
	refresh time.Duration

	static *SigningKey // OIDC_SIGNING_KEY(_PATH): signs instead of the log's keys

	mu       sync.Mutex
	loadedAt time.Time
	version  int64
	keys     domain.SigningKeys
	open     map[string]*rsa.PrivateKey
}

// NewKeyRing panics on a nil dependency.
func NewKeyRing(store Store, sealer *Sealer, now Clock) *KeyRing {
	if store == nil || sealer == nil || now == nil {
		panic("commands.NewKeyRing: nil dependency")
	}
	return &KeyRing{store: store, sealer: sealer, now: now, refresh: KeyRefresh, open: map[string]*rsa.PrivateKey{}}
}

// KeyRefresh is how soon a node sees a key another node published; a
// rotation's publish delay must be longer.
const KeyRefresh = 10 * time.Second

func (r *KeyRing) load(ctx context.Context, force bool) error {
	if !force && !r.loadedAt.IsZero() && r.now().Sub(r.loadedAt) < r.refresh {
		return nil
	}
	events, version, err := r.store.Load(ctx, domain.SigningKeysStream)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	keys := domain.FoldSigningKeys(events)
	for _, k := range keys {
		if _, ok := r.open[k.KeyID]; ok {
			continue
		}
		der, err := r.sealer.Open(k.Sealed, signingKeyContext)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.KeyID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.KeyID, err)
		}
		rsaKey, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("signing key %s is not RSA", k.KeyID)
		}
		r.open[k.KeyID] = rsaKey
	}
	r.keys, r.version, r.loadedAt = keys, version, r.now()
	return nil
}

// UseStatic makes priv, a key the operator keeps, the one that signs. The
// log's keys stay published (tokens they signed still check); rotation is
// then the operator's, by changing the key.
func (r *KeyRing) UseStatic(priv *rsa.PrivateKey) {
	r.static = &SigningKey{KeyID: KeyID(&priv.PublicKey), Private: priv}
}

var (
	// ErrNoSigningKey is returned when no key is active yet.
	ErrNoSigningKey = errors.New("commands: no active signing key")
	// ErrStaticKey is returned by Rotate when the operator's own key signs.
	ErrStaticKey = errors.New("commands: the signing key comes from OIDC_SIGNING_KEY(_PATH); replace it there")
)

// Signing returns the key that signs at now.
func (r *KeyRing) Signing(ctx context.Context) (SigningKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.static != nil {
		return *r.static, nil
	}
	if err := r.load(ctx, false); err != nil {
		return SigningKey{}, err
	}
	i := r.keys.Active(r.now())
	if i < 0 {
		return SigningKey{}, ErrNoSigningKey
	}
	k := r.keys[i]
	return SigningKey{KeyID: k.KeyID, Private: r.open[k.KeyID], ActivatesAt: k.ActivatesAt}, nil
}

// Published returns the keys the JWKS shows at now; keep is the longest
// lifetime of a token a key signed.
func (r *KeyRing) Published(ctx context.Context, keep time.Duration) ([]SigningKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(ctx, false); err != nil {
		return nil, err
	}
	var out []SigningKey
	if r.static != nil {
		out = append(out, *r.static)
	}
	for _, k := range r.keys.Published(r.now(), keep) {
		out = append(out, SigningKey{KeyID: k.KeyID, Private: r.open[k.KeyID], ActivatesAt: k.ActivatesAt})
	}
	return out, nil
}

// Ensure makes a first key, active at once, when the stream has none.
// Nodes starting together race on the append with NoStream: one key wins,
// the others load it.
func (r *KeyRing) Ensure(ctx context.Context, meta domain.Metadata) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(ctx, true); err != nil {
		return err
	}
	if len(r.keys) > 0 || r.static != nil {
		return nil
	}
	err := r.generate(ctx, meta, eventstore.NoStream, r.now())
	if errors.Is(err, eventstore.ErrVersionConflict) {
		err = nil // another node made it
	}
	if err != nil {
		return err
	}
	return r.load(ctx, true)
}

// Rotate publishes a new key that signs from now+delay on. The old key
// keeps signing until then, and stays published while tokens it signed
// may still be checked.
func (r *KeyRing) Rotate(ctx context.Context, meta domain.Metadata, delay time.Duration) (SigningKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.static != nil {
		return SigningKey{}, ErrStaticKey
	}
	if err := r.load(ctx, true); err != nil {
		return SigningKey{}, err
	}
	at := r.now().Add(delay)
	if err := r.generate(ctx, meta, eventstore.Exactly(r.version), at); err != nil {
		return SigningKey{}, fmt.Errorf("rotate signing key: %w", err)
	}
	if err := r.load(ctx, true); err != nil {
		return SigningKey{}, err
	}
	k := r.keys[len(r.keys)-1]
	return SigningKey{KeyID: k.KeyID, Private: r.open[k.KeyID], ActivatesAt: k.ActivatesAt}, nil
}

func (r *KeyRing) generate(ctx context.Context, meta domain.Metadata, expected eventstore.ExpectedVersion, activates time.Time) error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	sealed, err := r.sealer.Seal(der, signingKeyContext)
	if err != nil {
		return err
	}
	_, err = r.store.Append(ctx, meta, eventstore.Append{StreamID: domain.SigningKeysStream, Expected: expected,
		Events: []domain.Event{domain.SigningKeyGenerated{KeyID: KeyID(&priv.PublicKey), PrivateKey: sealed, ActivatesAt: activates}}})
	return err
}

// KeyID names a public key: a short SHA-256 of its modulus and exponent.
func KeyID(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}
