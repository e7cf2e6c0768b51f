package domain

import (
	"strings"
	"unicode"
)

// IdentityStream is the claim stream of one provider account.
func IdentityStream(provider, subject string) string { return "identity-" + provider + "-" + subject }

// ExternalIdentity is what an outside source (a media server, a social
// login, an OpenID Connect upstream) vouched for, as the rules see it.
type ExternalIdentity struct {
	Provider string
	Subject  string // the provider's stable id for the account
	Username string
	Email    string
	Access   bool   // the source says the user may use the configured server
	Admin    bool   // the source says the user administers it, and that counts here
	Reason   string // why Access is what it is
}

// LinkedIdentity is a provider account that signs in as the user.
type LinkedIdentity struct {
	Provider string
	Subject  string
	Username string
	Token    string // sealed
}

// ClaimedIdentityUser returns the user an identity claim stream names, ""
// when the provider account belongs to no one (yet, or since its user
// unlinked it).
func ClaimedIdentityUser(claims []Event) string {
	owner := ""
	for _, e := range claims {
		switch e := e.(type) {
		case IdentityClaimed:
			owner = e.UserID
		case IdentityReleased:
			owner = ""
		}
	}
	return owner
}

// validIdentity checks what a provider adapter returned: something is
// wrong with the adapter, not the user, when this fails.
func validIdentity(id ExternalIdentity) error {
	switch {
	case id.Provider == "" || strings.ContainsAny(id.Provider, "- "):
		return &InvalidInputError{Field: "provider", Reason: "a provider name without dashes or spaces"}
	case id.Subject == "" || len(id.Subject) > 255:
		return &InvalidInputError{Field: "subject", Reason: "1 to 255 bytes"}
	}
	return nil
}

// displayName keeps what a provider calls its user printable and short: it
// is shown on pages and stored in events, and the provider chose it.
func displayName(raw string) string {
	clean := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(raw))
	if r := []rune(clean); len(r) > 64 {
		clean = string(r[:64])
	}
	return clean
}

// ExternalSignup is the outcome of RegisterExternalUser: the claim for the
// identity's stream and the events for the new user's stream.
type ExternalSignup struct {
	Claim IdentityClaimed
	User  []Event
}

// RegisterExternalUser decides the user a first sign-in with an outside
// identity creates. It is a new user whatever the name: an outside account
// never becomes an existing user by matching a username or an email (a
// Jellyfin user called like an admin is someone else). It has access only
// when the source says so; an admin decides for everyone else.
func RegisterExternalUser(userID string, id ExternalIdentity, sealedToken string) (ExternalSignup, error) {
	if err := validIdentity(id); err != nil {
		return ExternalSignup{}, err
	}
	if userID == "" {
		return ExternalSignup{}, &InvalidInputError{Field: "user", Reason: "an id is required"}
	}
	name := displayName(id.Username)
	if name == "" {
		name = id.Provider + " user"
	}
	events := []Event{
		UserRegistered{UserID: userID, Username: name, Email: displayName(id.Email), Provider: id.Provider},
		IdentityLinked{UserID: userID, Provider: id.Provider, Subject: id.Subject, Username: name, Email: displayName(id.Email), Token: sealedToken},
	}
	if id.Access {
		events = append(events, MediaAccessGranted{UserID: userID, Provider: id.Provider, Reason: id.Reason})
	}
	if id.Admin {
		events = append(events, AdminGranted{UserID: userID, Reason: "provider:" + id.Provider})
	}
	return ExternalSignup{Claim: IdentityClaimed{Provider: id.Provider, Subject: id.Subject, UserID: userID}, User: events}, nil
}

// MediaAccessChecked decides what a media server's word on the user's
// access changes: a grant or a revocation, with the reason; a revocation
// ends the user's sessions. The same word again changes nothing. Sign-ins
// and the scheduled re-check both ask it.
func (u User) MediaAccessChecked(provider string, access bool, reason string) []Event {
	switch {
	case access && !u.MediaAccess:
		return []Event{MediaAccessGranted{UserID: u.ID, Provider: provider, Reason: reason}}
	case !access && u.MediaAccess:
		return []Event{MediaAccessRevoked{UserID: u.ID, Provider: provider, Reason: reason},
			SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "media_access_revoked"}}
	}
	return nil
}

// SignedInExternally decides what a sign-in with a linked outside identity
// changes: the source's word on access now (granted or revoked, with the
// reason; a revocation ends the user's sessions), a new credential to keep
// (sealedToken, when tokenChanged), and admin when the source makes them one
// (never taken away here: an admin may have been made in the console).
func (u User) SignedInExternally(id ExternalIdentity, sealedToken string, tokenChanged bool) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	if err := validIdentity(id); err != nil {
		return nil, err
	}
	if linked, ok := u.Identities[id.Provider]; !ok || linked.Subject != id.Subject {
		return nil, ErrIdentityNotLinked
	}
	events := u.MediaAccessChecked(id.Provider, id.Access, id.Reason)
	if tokenChanged && sealedToken != "" {
		events = append(events, IdentityTokenRefreshed{UserID: u.ID, Provider: id.Provider, Token: sealedToken})
	}
	if id.Admin && !u.Admin {
		change, err := u.SetAdmin(true, "provider:"+id.Provider)
		if err != nil {
			return nil, err
		}
		events = append(events, change...)
	}
	return events, nil
}

// LinkIdentity decides linking an outside account to a user who is signed
// in and just proved they hold it (an explicit, authenticated step; never
// by matching a name or an email). A user has at most one account per
// provider. The provider's word on access counts from now on, as at a
// sign-in.
func (u User) LinkIdentity(id ExternalIdentity, sealedToken string) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	if err := validIdentity(id); err != nil {
		return nil, err
	}
	if _, linked := u.Identities[id.Provider]; linked || u.Provider == id.Provider {
		return nil, ErrProviderAlreadyLinked
	}
	name := displayName(id.Username)
	events := []Event{IdentityLinked{UserID: u.ID, Provider: id.Provider, Subject: id.Subject, Username: name, Email: displayName(id.Email), Token: sealedToken}}
	if id.Access && !u.MediaAccess {
		events = append(events, MediaAccessGranted{UserID: u.ID, Provider: id.Provider, Reason: id.Reason})
	}
	return events, nil
}

// UnlinkIdentity decides unlinking the user's account of provider, as long
// as another way in remains (a local password, or another linked account):
// nobody locks themselves out here. The claim is released, so the account
// can sign in again later as a new user, or be linked to someone.
func (u User) UnlinkIdentity(provider string) (userEvents []Event, released IdentityReleased, err error) {
	if !u.Exists() {
		return nil, IdentityReleased{}, ErrUserNotFound
	}
	linked, ok := u.Identities[provider]
	if !ok {
		return nil, IdentityReleased{}, ErrIdentityNotLinked
	}
	if len(u.Identities) == 1 && u.Provider != "local" {
		return nil, IdentityReleased{}, ErrLastWayIn
	}
	return []Event{IdentityUnlinked{UserID: u.ID, Provider: provider, Subject: linked.Subject}},
		IdentityReleased{Provider: provider, Subject: linked.Subject, UserID: u.ID}, nil
}
