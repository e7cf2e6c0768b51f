package domain

import "time"

// TypeSigningKeyGenerated is the one event of the OIDC signing keys' stream.
const TypeSigningKeyGenerated = "oidc.signing_key_generated"

// SigningKeysStream holds every signing key the provider ever made.
const SigningKeysStream = "oidc-keys"

// SigningKeyGenerated publishes a new RSA signing key, sealed with
// DATA_KEY. It appears in the JWKS at once and signs from ActivatesAt on,
// so that relying parties that cache the JWKS learn it before they meet a
// token it signed.
type SigningKeyGenerated struct {
	KeyID       string    `json:"keyId"`
	PrivateKey  string    `json:"privateKey"` // PKCS#8 DER, sealed
	ActivatesAt time.Time `json:"activatesAt"`
}

func (SigningKeyGenerated) EventType() string  { return TypeSigningKeyGenerated }
func (SigningKeyGenerated) SchemaVersion() int { return 1 }

// SigningKey is one key of the stream.
type SigningKey struct {
	KeyID       string
	Sealed      string
	ActivatesAt time.Time
}

// SigningKeys is the keys' stream folded, oldest first.
type SigningKeys []SigningKey

// FoldSigningKeys builds the key list.
func FoldSigningKeys(events []Event) SigningKeys {
	var out SigningKeys
	for _, e := range events {
		if e, ok := e.(SigningKeyGenerated); ok {
			out = append(out, SigningKey{KeyID: e.KeyID, Sealed: e.PrivateKey, ActivatesAt: e.ActivatesAt})
		}
	}
	return out
}

// Active is the index of the key that signs at now: the newest one whose
// time has come; -1 when none has.
func (ks SigningKeys) Active(now time.Time) int {
	active := -1
	for i, k := range ks {
		if !now.Before(k.ActivatesAt) && (active < 0 || !k.ActivatesAt.Before(ks[active].ActivatesAt)) {
			active = i
		}
	}
	return active
}

// Published lists the keys the JWKS shows at now: those not yet active,
// the active one, and older ones until keep (the longest lifetime of a
// token they signed) has passed since a newer key took over.
func (ks SigningKeys) Published(now time.Time, keep time.Duration) []SigningKey {
	active := ks.Active(now)
	var out []SigningKey
	for i, k := range ks {
		if i == active || now.Before(k.ActivatesAt) {
			out = append(out, k)
			continue
		}
		// Superseded: by the first key that activated after it.
		var replacedAt time.Time
		for _, later := range ks {
			if later.ActivatesAt.After(k.ActivatesAt) && !now.Before(later.ActivatesAt) &&
				(replacedAt.IsZero() || later.ActivatesAt.Before(replacedAt)) {
				replacedAt = later.ActivatesAt
			}
		}
		if replacedAt.IsZero() || now.Before(replacedAt.Add(keep)) {
			out = append(out, k)
		}
	}
	return out
}
