package domain_test

import (
	"errors"
	"testing"

	"github.com/authportal/authportal/domain"
)

func plexIdentity(access bool) domain.ExternalIdentity {
	return domain.ExternalIdentity{Provider: "plex", Subject: "1234567", Username: "root", Email: "root@example.com", Access: access, Reason: "server_visible"}
}

// A first sign-in with an outside account makes a new user, whatever its
// name: a Plex account called "root" is not the local admin "root".
func TestRegisterExternalUserIsANewUserWithTheSourcesWordOnAccess(t *testing.T) {
	for _, tc := range []struct {
		name       string
		id         domain.ExternalIdentity
		authorized bool
	}{
		{"shared with", plexIdentity(true), true},
		{"not shared", plexIdentity(false), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signup, err := domain.RegisterExternalUser("U9", tc.id, "v1.sealed")
			if err != nil {
				t.Fatal(err)
			}
			if signup.Claim != (domain.IdentityClaimed{Provider: "plex", Subject: "1234567", UserID: "U9"}) {
				t.Errorf("claim: %+v", signup.Claim)
			}
			u := domain.FoldUser(signup.User)
			if u.ID != "U9" || u.Provider != "plex" || u.Admin || u.AccessGranted {
				t.Errorf("user: %+v; want U9, provider plex, neither admin nor granted by an admin", u)
			}
			if u.Authorized() != tc.authorized {
				t.Errorf("authorized: got %v, want %v", u.Authorized(), tc.authorized)
			}
			if linked := u.Identities["plex"]; linked.Subject != "1234567" || linked.Token != "v1.sealed" {
				t.Errorf("linked identity: %+v", linked)
			}
		})
	}
	if _, err := domain.RegisterExternalUser("U9", domain.ExternalIdentity{Provider: "plex"}, ""); err == nil {
		t.Error("an identity without a subject was accepted")
	}
}

func TestSignedInExternallyFollowsTheSource(t *testing.T) {
	signup, err := domain.RegisterExternalUser("U9", plexIdentity(true), "v1.sealed")
	if err != nil {
		t.Fatal(err)
	}
	u := domain.FoldUser(signup.User)

	same, err := u.SignedInExternally(plexIdentity(true), "", false)
	if err != nil || len(same) != 0 {
		t.Errorf("nothing changed: got %v, %v; want no events", same, err)
	}
	unshared := plexIdentity(false)
	unshared.Reason = "not_shared"
	events, err := u.SignedInExternally(unshared, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		u.Apply(e)
	}
	if u.Authorized() || u.Epoch != 1 {
		t.Errorf("after the server stopped sharing: authorized %v, epoch %d; want false, 1 (sessions revoked)", u.Authorized(), u.Epoch)
	}
	owner := plexIdentity(true)
	owner.Admin, owner.Reason = true, "owner"
	events, err = u.SignedInExternally(owner, "v1.new", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		u.Apply(e)
	}
	if !u.Authorized() || !u.Admin || u.Identities["plex"].Token != "v1.new" {
		t.Errorf("owner with a new token: authorized %v admin %v token %q", u.Authorized(), u.Admin, u.Identities["plex"].Token)
	}
	other := plexIdentity(true)
	other.Subject = "999"
	if _, err := u.SignedInExternally(other, "", false); !errors.Is(err, domain.ErrIdentityNotLinked) {
		t.Errorf("another Plex account: got %v, want ErrIdentityNotLinked", err)
	}
}
