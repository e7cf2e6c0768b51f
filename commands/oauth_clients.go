package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"golang.org/x/crypto/bcrypt"
)

// The OAuth client use cases: register, update, rotate the secret, delete.
// Secrets are 32 random bytes shown once and kept only as bcrypt hashes.

// RegisterClient adds an OAuth client.
type RegisterClient struct {
	Spec   domain.ClientSpec
	Public bool
	Meta   domain.Metadata
}

// ClientResult is a client's id and, when one was just made, its secret
// (shown once).
type ClientResult struct {
	Result
	ClientID string
	Secret   string
}

// ClientsHandler handles the OAuth client commands.
type ClientsHandler struct {
	store Store
	newID NewID
}

// NewClientsHandler panics on a nil dependency.
func NewClientsHandler(store Store, newID NewID) ClientsHandler {
	if store == nil || newID == nil {
		panic("commands.NewClientsHandler: nil dependency")
	}
	return ClientsHandler{store: store, newID: newID}
}

// Register validates the spec and appends ClientRegistered.
func (h ClientsHandler) Register(ctx context.Context, cmd RegisterClient) (ClientResult, error) {
	spec, err := cmd.Spec.Validate()
	if err != nil {
		return ClientResult{}, err
	}
	id := h.newID()
	var secret, hash string
	if !cmd.Public {
		if secret, hash, err = newClientSecret(); err != nil {
			return ClientResult{}, err
		}
	}
	res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.ClientStream(id), Expected: eventstore.NoStream,
		Events: []domain.Event{spec.Register(id, cmd.Public, hash)}})
	if err != nil {
		return ClientResult{}, fmt.Errorf("register client: %w", err)
	}
	return ClientResult{Result: Result{Position: res.LastPosition}, ClientID: id, Secret: secret}, nil
}

// UpdateClient changes a client's settings.
type UpdateClient struct {
	ClientID string
	Spec     domain.ClientSpec
	Meta     domain.Metadata
}

// Update validates the spec and appends ClientUpdated.
func (h ClientsHandler) Update(ctx context.Context, cmd UpdateClient) (ClientResult, error) {
	spec, err := cmd.Spec.Validate()
	if err != nil {
		return ClientResult{}, err
	}
	return h.change(ctx, "update client", cmd.ClientID, cmd.Meta, func(c domain.Client) ([]domain.Event, string, error) {
		events, err := c.Update(spec)
		return events, "", err
	})
}

// ClientID names a client for RotateSecret and Delete.
type ClientID struct {
	ClientID string
	Meta     domain.Metadata
}

// RotateSecret gives a confidential client a new secret, returned once.
func (h ClientsHandler) RotateSecret(ctx context.Context, cmd ClientID) (ClientResult, error) {
	return h.change(ctx, "rotate client secret", cmd.ClientID, cmd.Meta, func(c domain.Client) ([]domain.Event, string, error) {
		secret, hash, err := newClientSecret()
		if err != nil {
			return nil, "", err
		}
		events, err := c.RotateSecret(hash)
		return events, secret, err
	})
}

// Delete removes a client.
func (h ClientsHandler) Delete(ctx context.Context, cmd ClientID) (ClientResult, error) {
	return h.change(ctx, "delete client", cmd.ClientID, cmd.Meta, func(c domain.Client) ([]domain.Event, string, error) {
		events, err := c.Delete()
		return events, "", err
	})
}

func (h ClientsHandler) change(ctx context.Context, what, id string, meta domain.Metadata,
	decide func(domain.Client) ([]domain.Event, string, error)) (ClientResult, error) {
	return retry(ctx, what, func() (ClientResult, error) {
		c, version, err := loadClient(ctx, h.store, id)
		if err != nil {
			return ClientResult{}, err
		}
		events, secret, err := decide(c)
		if err != nil {
			return ClientResult{}, err
		}
		res, err := h.store.Append(ctx, meta, eventstore.Append{StreamID: domain.ClientStream(c.ID), Expected: eventstore.Exactly(version), Events: events})
		if err != nil {
			return ClientResult{}, err
		}
		return ClientResult{Result: Result{Position: res.LastPosition}, ClientID: c.ID, Secret: secret}, nil
	})
}

// loadClient folds a client's stream; a missing or deleted one is domain.ErrClientNotFound.
func loadClient(ctx context.Context, store Store, id string) (domain.Client, int64, error) {
	if !validID(id) {
		return domain.Client{}, 0, domain.ErrClientNotFound
	}
	events, version, err := store.Load(ctx, domain.ClientStream(id))
	if err != nil {
		return domain.Client{}, 0, err
	}
	c := domain.FoldClient(events)
	if !c.Exists() {
		return domain.Client{}, 0, domain.ErrClientNotFound
	}
	return c, version, nil
}

// validID keeps ids that could not be ours (too long, odd characters) away
// from the log: what an anonymous caller sends is not read as a stream name.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// clientSecretCost is bcrypt's work factor for client secrets. A secret is
// 256 random bits, which no work factor is needed to protect from guessing
// (that is what bcrypt's cost buys for passwords people choose); a low one
// keeps a flood of wrong secrets from costing the server much CPU.
const clientSecretCost = 6

func newClientSecret() (secret, hash string, err error) {
	secret = randomToken()
	h, err := bcrypt.GenerateFromPassword([]byte(secret), clientSecretCost)
	if err != nil {
		return "", "", fmt.Errorf("hash client secret: %w", err)
	}
	return secret, string(h), nil
}

// randomToken is 32 random bytes, base64url: secrets, codes and tokens.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand.Read does not fail on supported platforms (Go 1.24+)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Digest is how codes and tokens are kept: the hex SHA-256 of the token.
func Digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Clients reads and authenticates OAuth clients from their streams (a few
// events each): the provider needs the current secret hash and redirect
// URIs, which the read model does not hold.
type Clients struct {
	store    Store
	verified *verifiedSecrets
}

// verifiedSecrets remembers, per client, the SHA-256 of the last secret
// that passed bcrypt against the client's current hash. A client calls the
// token endpoint for every sign-in and refresh; bcrypt on each call would
// make the CPU the limit. The secrets are 256-bit random values, so their
// SHA-256 is as hard to reverse as the bcrypt hash; the map holds one entry
// per registered client that authenticated, nothing an unknown id can add.
type verifiedSecrets struct {
	mu sync.Mutex
	m  map[string]verifiedSecret
}

type verifiedSecret struct {
	hash   string // the bcrypt hash it passed against: a rotation makes the entry stale
	digest [32]byte
}

// NewClients panics on a nil dependency.
func NewClients(store Store) Clients {
	if store == nil {
		panic("commands.NewClients: nil dependency")
	}
	return Clients{store: store, verified: &verifiedSecrets{m: map[string]verifiedSecret{}}}
}

func (v *verifiedSecrets) check(id, hash, secret string) bool {
	v.mu.Lock()
	entry, ok := v.m[id]
	v.mu.Unlock()
	sum := sha256.Sum256([]byte(secret))
	return ok && entry.hash == hash && subtle.ConstantTimeCompare(entry.digest[:], sum[:]) == 1
}

func (v *verifiedSecrets) remember(id, hash, secret string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m[id] = verifiedSecret{hash: hash, digest: sha256.Sum256([]byte(secret))}
}

// Client returns a registered, undeleted client or domain.ErrClientNotFound.
func (c Clients) Client(ctx context.Context, id string) (domain.Client, error) {
	cl, _, err := loadClient(ctx, c.store, id)
	return cl, err
}

// dummyHash is compared against when the client is unknown, so that an
// unknown id costs what a wrong secret costs.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no client has this secret"), clientSecretCost)

// Authenticate checks a client's credentials: a confidential client needs
// its secret; a public client presents none. Any failure is
// ErrInvalidCredentials, and writes nothing.
func (c Clients) Authenticate(ctx context.Context, id, secret string, presented bool) (domain.Client, error) {
	cl, _, err := loadClient(ctx, c.store, id)
	switch {
	case err == nil:
	case errors.Is(err, domain.ErrClientNotFound):
		if presented {
			bcrypt.CompareHashAndPassword(dummyHash, []byte(secret)) // only the time a wrong secret takes
		}
		return domain.Client{}, ErrInvalidCredentials
	default:
		return domain.Client{}, err
	}
	if cl.Public {
		if presented {
			return domain.Client{}, ErrInvalidCredentials
		}
		return cl, nil
	}
	if !presented || len(secret) > 72 {
		return domain.Client{}, ErrInvalidCredentials
	}
	if c.verified.check(cl.ID, cl.SecretHash, secret) {
		return cl, nil
	}
	if bcrypt.CompareHashAndPassword([]byte(cl.SecretHash), []byte(secret)) != nil {
		return domain.Client{}, ErrInvalidCredentials
	}
	c.verified.remember(cl.ID, cl.SecretHash, secret)
	return cl, nil
}
