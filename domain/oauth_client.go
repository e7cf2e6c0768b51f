package domain

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// OIDC scopes AuthPortal knows. A client may ask only for those it was
// registered with.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeGroups        = "groups"
	ScopeOfflineAccess = "offline_access"
)

// KnownScopes lists every scope, in the order pages show them.
var KnownScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeGroups, ScopeOfflineAccess}

// Client is the OAuth client aggregate, folded from its stream.
type Client struct {
	ID                     string
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Public                 bool
	FirstParty             bool
	Scopes                 []string
	SecretHash             string
	Deleted                bool
}

// Exists reports whether the client was registered and not deleted.
func (c Client) Exists() bool { return c.ID != "" && !c.Deleted }

// Apply folds one event into the client.
func (c *Client) Apply(e Event) {
	switch e := e.(type) {
	case ClientRegistered:
		*c = Client{ID: e.ClientID, Name: e.Name, RedirectURIs: e.RedirectURIs, PostLogoutRedirectURIs: e.PostLogoutRedirectURIs,
			Public: e.Public, FirstParty: e.FirstParty, Scopes: e.Scopes, SecretHash: e.SecretHash}
	case ClientUpdated:
		c.Name, c.RedirectURIs, c.PostLogoutRedirectURIs = e.Name, e.RedirectURIs, e.PostLogoutRedirectURIs
		c.FirstParty, c.Scopes = e.FirstParty, e.Scopes
	case ClientSecretRotated:
		c.SecretHash = e.SecretHash
	case ClientDeleted:
		c.Deleted = true
	}
}

// FoldClient builds a client from its stream.
func FoldClient(events []Event) Client {
	var c Client
	for _, e := range events {
		c.Apply(e)
	}
	return c
}

// HasRedirectURI reports whether uri is one of the client's registered
// redirect URIs, compared as exact strings: no prefix, no normalisation.
func (c Client) HasRedirectURI(uri string) bool { return slices.Contains(c.RedirectURIs, uri) }

// HasPostLogoutRedirectURI is HasRedirectURI for RP-initiated logout.
func (c Client) HasPostLogoutRedirectURI(uri string) bool {
	return slices.Contains(c.PostLogoutRedirectURIs, uri)
}

// AllowsScopes reports whether every scope asked for is one the client may ask for.
func (c Client) AllowsScopes(scopes []string) bool {
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// ClientSpec is what an admin sets on a client.
type ClientSpec struct {
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	FirstParty             bool
	Scopes                 []string // empty: every known scope
}

// Validate checks a spec and returns it with defaults filled in, or an
// *InvalidInputError naming the field.
func (s ClientSpec) Validate() (ClientSpec, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 100 || strings.ContainsAny(s.Name, "\r\n\t") {
		return s, &InvalidInputError{Field: "name", Reason: "must be 1 to 100 characters on one line"}
	}
	if len(s.RedirectURIs) == 0 || len(s.RedirectURIs) > 20 {
		return s, &InvalidInputError{Field: "redirectUris", Reason: "must list 1 to 20 addresses"}
	}
	for _, u := range s.RedirectURIs {
		if err := ValidateRedirectURI(u); err != nil {
			return s, &InvalidInputError{Field: "redirectUris", Reason: err.Error()}
		}
	}
	if len(s.PostLogoutRedirectURIs) > 20 {
		return s, &InvalidInputError{Field: "postLogoutRedirectUris", Reason: "must list at most 20 addresses"}
	}
	for _, u := range s.PostLogoutRedirectURIs {
		if err := ValidateRedirectURI(u); err != nil {
			return s, &InvalidInputError{Field: "postLogoutRedirectUris", Reason: err.Error()}
		}
	}
	if len(s.Scopes) == 0 {
		s.Scopes = slices.Clone(KnownScopes)
	}
	for _, sc := range s.Scopes {
		if !slices.Contains(KnownScopes, sc) {
			return s, &InvalidInputError{Field: "scopes", Reason: "may hold only " + strings.Join(KnownScopes, ", ")}
		}
	}
	if !slices.Contains(s.Scopes, ScopeOpenID) {
		return s, &InvalidInputError{Field: "scopes", Reason: "must include openid"}
	}
	s.RedirectURIs = dedupe(s.RedirectURIs)
	s.PostLogoutRedirectURIs = dedupe(s.PostLogoutRedirectURIs)
	s.Scopes = dedupe(s.Scopes)
	return s, nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// redirectError is the reason a redirect URI is refused, in plain words.
type redirectError string

func (e redirectError) Error() string { return string(e) }

// ValidateRedirectURI accepts an absolute https address, or http only on
// localhost or a loopback address (RFC 8252 native apps), with no fragment
// and no user info. Redirect URIs are later compared as exact strings.
func ValidateRedirectURI(raw string) error {
	if len(raw) > 1000 || strings.ContainsAny(raw, " \r\n\t\\") {
		return redirectError("an address must be at most 1000 characters, without spaces or backslashes")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return redirectError("each address must be absolute, like https://app.example.com/callback")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return redirectError("an address may not have a #fragment")
	}
	if u.User != nil {
		return redirectError("an address may not carry a user name or password")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return redirectError("plain http is allowed only for localhost or a loopback address; use https")
	default:
		return redirectError("an address must start with https:// (or http:// for localhost)")
	}
}

// Register is the event that registers a client with id and secretHash ("" for a public client).
func (s ClientSpec) Register(id string, public bool, secretHash string) ClientRegistered {
	return ClientRegistered{ClientID: id, Name: s.Name, RedirectURIs: s.RedirectURIs, PostLogoutRedirectURIs: s.PostLogoutRedirectURIs,
		Public: public, FirstParty: s.FirstParty, Scopes: s.Scopes, SecretHash: secretHash}
}

// Update changes the client to spec.
func (c Client) Update(s ClientSpec) ([]Event, error) {
	if !c.Exists() {
		return nil, ErrClientNotFound
	}
	return []Event{ClientUpdated{ClientID: c.ID, Name: s.Name, RedirectURIs: s.RedirectURIs,
		PostLogoutRedirectURIs: s.PostLogoutRedirectURIs, FirstParty: s.FirstParty, Scopes: s.Scopes}}, nil
}

// RotateSecret gives a confidential client a new secret hash.
func (c Client) RotateSecret(hash string) ([]Event, error) {
	if !c.Exists() {
		return nil, ErrClientNotFound
	}
	if c.Public {
		return nil, ErrClientPublic
	}
	return []Event{ClientSecretRotated{ClientID: c.ID, SecretHash: hash}}, nil
}

// Delete removes the client.
func (c Client) Delete() ([]Event, error) {
	if !c.Exists() {
		return nil, ErrClientNotFound
	}
	return []Event{ClientDeleted{ClientID: c.ID}}, nil
}
