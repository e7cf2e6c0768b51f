package providers

import "errors"

// Identity is who an outside source (a media server, a social login, an
// OpenID Connect upstream) says signed in, and what it says of their access.
// Every provider package returns one; the sign-in command turns it into a
// user, whatever the source.
type Identity struct {
	Provider      string // "plex", "jellyfin", "emby", "github", "google", "oidc"
	Subject       string // the provider's stable id for the account (Plex account id in decimal, Jellyfin user id, GitHub numeric id, OIDC sub)
	Username      string // as the provider shows it; never matched against local names
	Email         string
	EmailVerified bool // the provider vouches for Email
	DisplayName   string
	AvatarURL     string
	// Token is the provider's credential for this user, kept (sealed by the
	// caller) so access can be re-checked without the user; empty when the
	// provider gives none worth keeping.
	Token string
	// Access reports whether the source says the user may use the
	// configured server (media providers); social and OIDC upstreams leave
	// it false: an admin decides.
	Access bool
	Admin  bool   // the source says the user administers it (server owner, IsAdministrator), when configured to count
	Reason string // why Access is what it is: "owner", "server_visible", "not_shared", "disabled", "policy", ...
}

// Errors every provider returns, so that callers branch the same way
// whatever the source; packages wrap them with their own detail.
var (
	// ErrInvalidCredentials is returned when the source refused the
	// credentials (wrong password, expired PIN, denied consent).
	ErrInvalidCredentials = errors.New("providers: credentials refused")
	// ErrPending is returned while a flow the user has not finished yet
	// (a Plex PIN not yet claimed) is still waiting.
	ErrPending = errors.New("providers: sign-in not finished yet")
	// ErrUnavailable is returned when the source could not be reached, timed
	// out or answered 5xx: a clear message for the user, never a grant.
	ErrUnavailable = errors.New("providers: identity source unavailable")
)
