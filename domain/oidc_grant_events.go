package domain

import "time"

// Event types of an authorization grant ("grant-<id>"): one sign-in of one
// user into one client, from its code to the last refresh. Codes and tokens
// enter the log only as SHA-256 digests.
const (
	TypeCodeIssued     = "grant.code_issued"
	TypeCodeRedeemed   = "grant.code_redeemed"
	TypeRefreshRotated = "grant.refresh_rotated"
	TypeGrantRevoked   = "grant.revoked"
)

// CodeIssued records an authorization code and everything it was bound to.
type CodeIssued struct {
	GrantID       string    `json:"grantId"`
	ClientID      string    `json:"clientId"`
	UserID        string    `json:"userId"`
	SessionID     string    `json:"sessionId"`
	Epoch         int64     `json:"epoch"` // the user's session epoch when the session started
	CodeDigest    string    `json:"codeDigest"`
	CodeChallenge string    `json:"codeChallenge"` // PKCE, S256
	RedirectURI   string    `json:"redirectUri"`
	Scopes        []string  `json:"scopes"`
	Nonce         string    `json:"nonce,omitempty"`
	AuthTime      time.Time `json:"authTime"`
	AMR           []string  `json:"amr"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// CodeRedeemed records the code's one redemption and the tokens it gave.
// It repeats who and what the tokens are for, so that the token read model
// is built from this event alone.
type CodeRedeemed struct {
	GrantID          string    `json:"grantId"`
	ClientID         string    `json:"clientId"`
	UserID           string    `json:"userId"`
	SessionID        string    `json:"sessionId"`
	Epoch            int64     `json:"epoch"`
	Scopes           []string  `json:"scopes"`
	AccessDigest     string    `json:"accessDigest"`
	AccessExpiresAt  time.Time `json:"accessExpiresAt"`
	RefreshDigest    string    `json:"refreshDigest,omitempty"` // only with offline_access
	RefreshExpiresAt time.Time `json:"refreshExpiresAt,omitzero"`
}

// RefreshRotated records a refresh: a new access token and a new refresh
// token; the old refresh token is spent.
type RefreshRotated struct {
	GrantID          string    `json:"grantId"`
	ClientID         string    `json:"clientId"`
	UserID           string    `json:"userId"`
	SessionID        string    `json:"sessionId"`
	Epoch            int64     `json:"epoch"`
	Scopes           []string  `json:"scopes"`
	AccessDigest     string    `json:"accessDigest"`
	AccessExpiresAt  time.Time `json:"accessExpiresAt"`
	RefreshDigest    string    `json:"refreshDigest"`
	RefreshExpiresAt time.Time `json:"refreshExpiresAt"`
}

// GrantRevoked ends every token of the grant.
type GrantRevoked struct {
	GrantID string `json:"grantId"`
	// Reason: "code_reused", "refresh_reused", "revoked" (the client
	// revoked a token), "client_deleted".
	Reason string `json:"reason"`
}

func (CodeIssued) EventType() string     { return TypeCodeIssued }
func (CodeRedeemed) EventType() string   { return TypeCodeRedeemed }
func (RefreshRotated) EventType() string { return TypeRefreshRotated }
func (GrantRevoked) EventType() string   { return TypeGrantRevoked }

func (CodeIssued) SchemaVersion() int     { return 1 }
func (CodeRedeemed) SchemaVersion() int   { return 1 }
func (RefreshRotated) SchemaVersion() int { return 1 }
func (GrantRevoked) SchemaVersion() int   { return 1 }

// GrantStream is the stream of one authorization grant.
func GrantStream(grantID string) string { return "grant-" + grantID }
