package domain

// Event types of the OAuth client aggregate ("client-<id>"): the apps that
// sign their users in through AuthPortal's OpenID Connect provider.
const (
	TypeClientRegistered    = "client.registered"
	TypeClientUpdated       = "client.updated"
	TypeClientSecretRotated = "client.secret_rotated"
	TypeClientDeleted       = "client.deleted"
)

// ClientRegistered adds an OAuth client. A confidential client's secret is
// kept only as a bcrypt hash; a public client has none and must use PKCE
// (every client must).
type ClientRegistered struct {
	ClientID               string   `json:"clientId"`
	Name                   string   `json:"name"`
	RedirectURIs           []string `json:"redirectUris"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	Public                 bool     `json:"public"`
	FirstParty             bool     `json:"firstParty"` // skips the consent page
	Scopes                 []string `json:"scopes"`     // the scopes it may ask for
	SecretHash             string   `json:"secretHash,omitempty"`
}

// ClientUpdated replaces a client's settings (not its secret, not whether
// it is public).
type ClientUpdated struct {
	ClientID               string   `json:"clientId"`
	Name                   string   `json:"name"`
	RedirectURIs           []string `json:"redirectUris"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	FirstParty             bool     `json:"firstParty"`
	Scopes                 []string `json:"scopes"`
}

// ClientSecretRotated replaces a confidential client's secret.
type ClientSecretRotated struct {
	ClientID   string `json:"clientId"`
	SecretHash string `json:"secretHash"`
}

// ClientDeleted removes a client for good: its codes and tokens stop working.
type ClientDeleted struct {
	ClientID string `json:"clientId"`
}

func (ClientRegistered) EventType() string    { return TypeClientRegistered }
func (ClientUpdated) EventType() string       { return TypeClientUpdated }
func (ClientSecretRotated) EventType() string { return TypeClientSecretRotated }
func (ClientDeleted) EventType() string       { return TypeClientDeleted }

func (ClientRegistered) SchemaVersion() int    { return 1 }
func (ClientUpdated) SchemaVersion() int       { return 1 }
func (ClientSecretRotated) SchemaVersion() int { return 1 }
func (ClientDeleted) SchemaVersion() int       { return 1 }

// ClientStream is the stream of one OAuth client.
func ClientStream(clientID string) string { return "client-" + clientID }
