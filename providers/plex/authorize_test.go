package plex_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/plex"
	"github.com/authportal/authportal/providers/plex/plextest"
)

func TestAuthConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     plex.AuthConfig
		wantErr string // "" for valid
	}{
		{"machine id", plex.AuthConfig{ServerMachineID: "m"}, ""},
		{"machine id and owner", plex.AuthConfig{ServerMachineID: "m", OwnerToken: "o"}, ""},
		{"name and owner", plex.AuthConfig{ServerName: "Home", OwnerToken: "o"}, ""},
		{"owner only", plex.AuthConfig{OwnerToken: "o"}, ""},

		{"name alone", plex.AuthConfig{ServerName: "Home"}, "PLEX_SERVER_NAME needs PLEX_OWNER_TOKEN"},
		{"nothing", plex.AuthConfig{}, "set PLEX_SERVER_MACHINE_ID"},
		{"blanks", plex.AuthConfig{ServerMachineID: " ", OwnerToken: "\t"}, "set PLEX_SERVER_MACHINE_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Validate = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	srv := newFake(t)
	if _, err := plex.NewAuthorizer(newClient(t, srv, time.Second), plex.AuthConfig{ServerName: "Home"}); err == nil {
		t.Error("NewAuthorizer accepted a server name without an owner token")
	}
}

func TestDecide(t *testing.T) {
	type want struct {
		access, admin bool
		reason        string
	}
	tests := []struct {
		name string
		cfg  plex.AuthConfig
		who  plextest.Account
		want want
	}{
		{"owner by owner token", plex.AuthConfig{ServerMachineID: home.MachineID, OwnerToken: owner.Token}, owner, want{true, true, "owner"}},
		{"owner by owned resource", plex.AuthConfig{ServerMachineID: home.MachineID}, owner, want{true, true, "owner"}},
		{"owner, owner-only mode", plex.AuthConfig{OwnerToken: owner.Token}, owner, want{true, true, "owner"}},
		{"shared friend", plex.AuthConfig{ServerMachineID: home.MachineID}, friend, want{true, false, "server_visible"}},
		{"shared friend with owner token", plex.AuthConfig{ServerMachineID: home.MachineID, OwnerToken: owner.Token}, friend, want{true, false, "server_visible"}},
		{"friend, owner-only mode", plex.AuthConfig{OwnerToken: owner.Token}, friend, want{false, false, "not_shared"}},
		{"stranger", plex.AuthConfig{ServerMachineID: home.MachineID}, mallory, want{false, false, "not_shared"}},

		// Mallory owns a server named "Home" too: the name resolves through
		// the owner's own servers, so hers does not count.
		{"copied name, owner of the copy", plex.AuthConfig{ServerName: "Home", OwnerToken: owner.Token}, mallory, want{false, false, "not_shared"}},
		{"by name, shared friend", plex.AuthConfig{ServerName: "Home", OwnerToken: owner.Token}, friend, want{true, false, "server_visible"}},
		{"by name, owner", plex.AuthConfig{ServerName: "Home", OwnerToken: owner.Token}, owner, want{true, true, "owner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			c := newClient(t, srv, 5*time.Second)
			az, err := plex.NewAuthorizer(c, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			acct, err := c.Account(t.Context(), tt.who.Token)
			if err != nil {
				t.Fatal(err)
			}
			id, err := az.Decide(t.Context(), tt.who.Token, acct)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if id.Access != tt.want.access || id.Admin != tt.want.admin || id.Reason != tt.want.reason {
				t.Errorf("Decide = access %v admin %v reason %q; want %+v", id.Access, id.Admin, id.Reason, tt.want)
			}
			wantID := providers.Identity{
				Provider: "plex", Subject: strconv.FormatInt(tt.who.ID, 10), Username: tt.who.Username,
				Email: tt.who.Email, DisplayName: tt.who.Title, AvatarURL: acct.Thumb, Token: tt.who.Token,
				Access: tt.want.access, Admin: tt.want.admin, Reason: tt.want.reason,
			}
			if id != wantID {
				t.Errorf("Decide = %+v\nwant     %+v", id, wantID)
			}
		})
	}
}

func TestDecideAfterShareRemoved(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)
	az, err := plex.NewAuthorizer(c, plex.AuthConfig{ServerMachineID: home.MachineID, OwnerToken: owner.Token})
	if err != nil {
		t.Fatal(err)
	}
	acct := plex.Account{ID: friend.ID, Username: friend.Username}
	id, err := az.Decide(t.Context(), friend.Token, acct)
	if err != nil || !id.Access {
		t.Fatalf("before unshare: %+v, %v; want access", id, err)
	}
	srv.Unshare(home.MachineID, friend.ID)
	id, err = az.Decide(t.Context(), friend.Token, acct)
	if err != nil || id.Access || id.Reason != "not_shared" {
		t.Fatalf("after unshare: access %v reason %q, %v; want not_shared", id.Access, id.Reason, err)
	}
}

// The server name is resolved through the owner's token once, however many
// people sign in; each decision asks plex.tv once with the user's token.
func TestDecideResolvesNameOnce(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)
	az, err := plex.NewAuthorizer(c, plex.AuthConfig{ServerName: "Home", OwnerToken: owner.Token})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := az.Decide(t.Context(), friend.Token, plex.Account{ID: friend.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := az.MachineID(t.Context()); err != nil || got != home.MachineID {
		t.Errorf("MachineID = %q, %v; want %q", got, err, home.MachineID)
	}
	var byOwner, byFriend, ownerAccount int
	for _, r := range srv.Requests() {
		switch tok := r.Header.Get("X-Plex-Token"); {
		case r.Path == "/api/v2/resources" && tok == owner.Token:
			byOwner++
		case r.Path == "/api/v2/resources" && tok == friend.Token:
			byFriend++
		case r.Path == "/api/v2/user" && tok == owner.Token:
			ownerAccount++
		}
	}
	if byOwner != 1 || byFriend != 3 || ownerAccount != 1 {
		t.Errorf("owner resources %d, friend resources %d, owner account %d; want 1, 3, 1", byOwner, byFriend, ownerAccount)
	}
}

func TestDecideErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     plex.AuthConfig
		token   string
		setup   func(srv *plextest.Server)
		wantIs  []error
		wantNot []error
	}{
		{"user token refused", plex.AuthConfig{ServerMachineID: home.MachineID}, "tok-revoked", nil,
			[]error{providers.ErrInvalidCredentials}, []error{providers.ErrUnavailable}},
		{"plex.tv 5xx", plex.AuthConfig{ServerMachineID: home.MachineID, OwnerToken: owner.Token}, friend.Token,
			func(srv *plextest.Server) { srv.Fail(http.StatusBadGateway) },
			[]error{providers.ErrUnavailable}, []error{providers.ErrInvalidCredentials}},
		{"plex.tv hangs", plex.AuthConfig{ServerMachineID: home.MachineID}, friend.Token,
			func(srv *plextest.Server) { srv.Hang(true) },
			[]error{providers.ErrUnavailable}, []error{providers.ErrInvalidCredentials}},
		{"owner token refused, owner-only mode", plex.AuthConfig{OwnerToken: "tok-old-owner"}, friend.Token, nil,
			[]error{plex.ErrMisconfigured, providers.ErrUnavailable}, []error{providers.ErrInvalidCredentials}},
		{"owner token refused, server by name", plex.AuthConfig{ServerName: "Home", OwnerToken: "tok-old-owner"}, friend.Token, nil,
			[]error{plex.ErrMisconfigured, providers.ErrUnavailable}, []error{providers.ErrInvalidCredentials}},
		{"name not owned by owner", plex.AuthConfig{ServerName: "Elsewhere", OwnerToken: owner.Token}, friend.Token, nil,
			[]error{plex.ErrMisconfigured, providers.ErrUnavailable}, []error{providers.ErrInvalidCredentials}},
		{"name ambiguous among the owner's servers", plex.AuthConfig{ServerName: "Home", OwnerToken: mallory.Token}, friend.Token,
			func(srv *plextest.Server) {
				srv.AddServer(plextest.MediaServer{Name: "Home", MachineID: "machine-2", OwnerID: mallory.ID})
			},
			[]error{plex.ErrMisconfigured}, []error{providers.ErrInvalidCredentials}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			c := newClient(t, srv, 200*time.Millisecond)
			az, err := plex.NewAuthorizer(c, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(srv)
			}
			id, err := az.Decide(t.Context(), tt.token, plex.Account{ID: friend.ID})
			if err == nil {
				t.Fatalf("Decide = %+v, want an error", id)
			}
			if id.Access || id.Admin {
				t.Errorf("Decide granted %+v with an error", id)
			}
			for _, e := range tt.wantIs {
				if !errors.Is(err, e) {
					t.Errorf("err = %v, want it to match %v", err, e)
				}
			}
			for _, e := range tt.wantNot {
				if errors.Is(err, e) {
					t.Errorf("err = %v, must not match %v", err, e)
				}
			}
			for _, tok := range []string{tt.token, tt.cfg.OwnerToken} {
				if tok != "" && strings.Contains(err.Error(), tok) {
					t.Errorf("error %q contains a token", err)
				}
			}
		})
	}
}

// A refused owner token does not lock everyone out when the machine
// identifier decides; Check reports it.
func TestOwnerTokenRefusedWithMachineID(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)
	az, err := plex.NewAuthorizer(c, plex.AuthConfig{ServerMachineID: home.MachineID, OwnerToken: owner.Token})
	if err != nil {
		t.Fatal(err)
	}
	srv.RevokeToken(owner.Token)
	srv.AddAccount(plextest.Account{ID: owner.ID, UUID: owner.UUID, Username: owner.Username, Token: "tok-owner-new"})

	if err := az.Check(t.Context()); !errors.Is(err, plex.ErrMisconfigured) || errors.Is(err, providers.ErrInvalidCredentials) {
		t.Errorf("Check = %v, want ErrMisconfigured only", err)
	}
	tests := []struct {
		who    string
		token  string
		id     int64
		access bool
		admin  bool
		reason string
	}{
		{"owner", "tok-owner-new", owner.ID, true, true, "owner"},
		{"friend", friend.Token, friend.ID, true, false, "server_visible"},
		{"mallory", mallory.Token, mallory.ID, false, false, "not_shared"},
	}
	for _, tt := range tests {
		got, err := az.Decide(t.Context(), tt.token, plex.Account{ID: tt.id})
		if err != nil || got.Access != tt.access || got.Admin != tt.admin || got.Reason != tt.reason {
			t.Errorf("%s: Decide = access %v admin %v reason %q, %v; want %v %v %q", tt.who, got.Access, got.Admin, got.Reason, err, tt.access, tt.admin, tt.reason)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		cfg     plex.AuthConfig
		wantErr error
	}{
		{"machine id", plex.AuthConfig{ServerMachineID: home.MachineID}, nil},
		{"name and owner", plex.AuthConfig{ServerName: "Home", OwnerToken: owner.Token}, nil},
		{"name the owner does not own", plex.AuthConfig{ServerName: "Nowhere", OwnerToken: owner.Token}, plex.ErrMisconfigured},
		{"owner token refused", plex.AuthConfig{ServerMachineID: home.MachineID, OwnerToken: "tok-gone"}, plex.ErrMisconfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			az, err := plex.NewAuthorizer(newClient(t, srv, 5*time.Second), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = az.Check(t.Context())
			if (tt.wantErr == nil && err != nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Check = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
