package domain

// Event types of outside identities: the claim stream of one provider
// account ("identity-<provider>-<subject>") and the facts on the user's
// stream. The strings are permanent.
const (
	TypeIdentityClaimed        = "identity.claimed"
	TypeIdentityReleased       = "identity.released"
	TypeIdentityUnlinked       = "user.identity_unlinked"
	TypeIdentityLinked         = "user.identity_linked"
	TypeIdentityTokenRefreshed = "user.identity_token_refreshed"
	TypeMediaAccessGranted     = "user.media_access_granted"
	TypeMediaAccessRevoked     = "user.media_access_revoked"
)

// IdentityClaimed reserves one provider account for one user. Appended to
// the identity's own stream with "no stream" expected, it is what makes a
// provider account belong to exactly one user, even when two first
// sign-ins race.
type IdentityClaimed struct {
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	UserID   string `json:"userId"`
}

// IdentityReleased frees a provider account its user unlinked: a later
// sign-in with it makes a new user again.
type IdentityReleased struct {
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	UserID   string `json:"userId"` // who held it
}

// IdentityUnlinked records that a provider account no longer signs in as
// this user.
type IdentityUnlinked struct {
	UserID   string `json:"userId"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
}

// IdentityLinked records that a provider account signs in as this user.
type IdentityLinked struct {
	UserID   string `json:"userId"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	Username string `json:"username"`        // as the provider shows it; display only, never matched
	Email    string `json:"email,omitempty"` // as the provider gave it
	Token    string `json:"token,omitempty"` // the provider's credential, sealed with DATA_KEY; never in clear
}

// IdentityTokenRefreshed replaces the sealed credential kept for a linked
// identity, when a sign-in brought a different one.
type IdentityTokenRefreshed struct {
	UserID   string `json:"userId"`
	Provider string `json:"provider"`
	Token    string `json:"token"` // sealed
}

// MediaAccessGranted records that a media server said the user has access
// (shared with them, or its owner), and why.
type MediaAccessGranted struct {
	UserID   string `json:"userId"`
	Provider string `json:"provider"`
	Reason   string `json:"reason"` // "owner", "server_visible", "policy"
}

// MediaAccessRevoked records that the media server no longer gives the
// user access (unshared, disabled, removed), and why.
type MediaAccessRevoked struct {
	UserID   string `json:"userId"`
	Provider string `json:"provider"`
	Reason   string `json:"reason"` // "not_shared", "disabled", "removed"
}

func (IdentityClaimed) EventType() string        { return TypeIdentityClaimed }
func (IdentityReleased) EventType() string       { return TypeIdentityReleased }
func (IdentityUnlinked) EventType() string       { return TypeIdentityUnlinked }
func (IdentityLinked) EventType() string         { return TypeIdentityLinked }
func (IdentityTokenRefreshed) EventType() string { return TypeIdentityTokenRefreshed }
func (MediaAccessGranted) EventType() string     { return TypeMediaAccessGranted }
func (MediaAccessRevoked) EventType() string     { return TypeMediaAccessRevoked }

func (IdentityClaimed) SchemaVersion() int        { return 1 }
func (IdentityReleased) SchemaVersion() int       { return 1 }
func (IdentityUnlinked) SchemaVersion() int       { return 1 }
func (IdentityLinked) SchemaVersion() int         { return 1 }
func (IdentityTokenRefreshed) SchemaVersion() int { return 1 }
func (MediaAccessGranted) SchemaVersion() int     { return 1 }
func (MediaAccessRevoked) SchemaVersion() int     { return 1 }
