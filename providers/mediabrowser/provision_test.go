package mediabrowser_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

func TestCreateUser(t *testing.T) {
	for _, fc := range flavors {
		t.Run(string(fc.flavor), func(t *testing.T) {
			srv := fc.start(t)
			cfg := config(fc.flavor, srv.URL)
			cfg.APIKey = mbtest.APIKey
			c := newClient(t, cfg)

			id, err := c.CreateUser(t.Context(), "newfriend", "friend pass 1", mediabrowser.Policy{EnabledFolders: []string{"lib-1"}})
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			u, ok := srv.User(id)
			if !ok || u.Name != "newfriend" || u.Password != "friend pass 1" || u.IsAdministrator || u.IsDisabled {
				t.Fatalf("server has %+v (found %v), want newfriend with the password, not admin, enabled", u, ok)
			}
			if !u.PolicySet || u.EnableAllFolders || len(u.EnabledFolders) != 1 || u.EnabledFolders[0] != "lib-1" {
				t.Errorf("policy on the server: %+v, want only lib-1", u)
			}
			// The new account signs in with what was chosen.
			ident, err := c.Authenticate(t.Context(), "NewFriend", "friend pass 1")
			if err != nil || ident.Subject != id || !ident.Access {
				t.Errorf("sign-in as the new user: %+v, %v", ident, err)
			}
			var sawPrefix bool
			for _, r := range srv.Requests() {
				if strings.HasSuffix(r.Path, "/Users/New") {
					sawPrefix = strings.HasPrefix(r.Path, "/emby/")
				}
			}
			if sawPrefix != (fc.flavor == mediabrowser.Emby) {
				t.Errorf("/Users/New under /emby: %v, want it for Emby only", sawPrefix)
			}

			before := srv.Users()
			_, err = c.CreateUser(t.Context(), "NEWFRIEND", "another pass 2", mediabrowser.Policy{EnableAllFolders: true})
			if !errors.Is(err, mediabrowser.ErrNameTaken) {
				t.Errorf("taken name: %v, want ErrNameTaken", err)
			}
			if srv.Users() != before {
				t.Errorf("a taken name changed the server's users: %d -> %d", before, srv.Users())
			}
			if u, _ := srv.User(id); u.Password != "friend pass 1" {
				t.Error("a taken name changed the existing user's password")
			}

			if err := c.DeleteUser(t.Context(), id); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if _, ok := srv.User(id); ok {
				t.Error("user still on the server after DeleteUser")
			}
			if err := c.DeleteUser(t.Context(), id); err != nil {
				t.Errorf("deleting a user already gone: %v, want nil", err)
			}
		})
	}
}

func TestCreateUserFailures(t *testing.T) {
	for _, fc := range flavors {
		t.Run(string(fc.flavor), func(t *testing.T) {
			tests := []struct {
				name    string
				apiKey  string
				change  func(*mbtest.Server)
				wantErr error
			}{
				{name: "no API key", wantErr: mediabrowser.ErrNoAPIKey},
				{name: "API key refused", apiKey: "wrong-key", wantErr: mediabrowser.ErrAPIKeyRefused},
				{name: "server error", apiKey: mbtest.APIKey, wantErr: providers.ErrUnavailable,
					change: func(s *mbtest.Server) { s.Fail(http.StatusInternalServerError) }},
				{name: "server down", apiKey: mbtest.APIKey, wantErr: providers.ErrUnavailable,
					change: func(s *mbtest.Server) { s.Down() }},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					srv := fc.start(t)
					cfg := config(fc.flavor, srv.URL)
					cfg.APIKey = tt.apiKey
					c := newClient(t, cfg)
					if tt.change != nil {
						tt.change(srv)
					}
					_, err := c.CreateUser(t.Context(), "friend", "friend pass 1", mediabrowser.Policy{EnableAllFolders: true})
					if !errors.Is(err, tt.wantErr) {
						t.Errorf("err = %v, want %v", err, tt.wantErr)
					}
					if err != nil && strings.Contains(err.Error(), "friend pass 1") {
						t.Errorf("the error carries the password: %v", err)
					}
				})
			}
		})
	}
}

// A password the server refuses after the user was made leaves no user
// behind: the half-made account is deleted again.
func TestCreateUserUndoesAHalfMadeUser(t *testing.T) {
	for _, fc := range flavors {
		t.Run(string(fc.flavor), func(t *testing.T) {
			srv := fc.start(t)
			cfg := config(fc.flavor, srv.URL)
			cfg.APIKey = mbtest.APIKey
			c := newClient(t, cfg)
			// The hook runs after a request's answer is chosen: failing on
			// /Users/New fails the next call (the password), and the
			// password's hook lets the delete through.
			srv.BeforeServe(func(r mbtest.Request) {
				switch {
				case strings.HasSuffix(r.Path, "/Users/New"):
					srv.Fail(http.StatusInternalServerError)
				case strings.HasSuffix(r.Path, "/Password"):
					srv.Fail(0)
				}
			})
			_, err := c.CreateUser(t.Context(), "friend", "friend pass 1", mediabrowser.Policy{EnableAllFolders: true})
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if _, ok := srv.UserByName("friend"); ok {
				t.Error("the half-made user stayed on the server")
			}
			var deleted bool
			for _, r := range srv.Requests() {
				deleted = deleted || r.Method == http.MethodDelete
			}
			if !deleted {
				t.Error("no DELETE /Users/{id} was sent for the half-made user")
			}
		})
	}
}

func TestFakeAdminEndpointsNeedAdmin(t *testing.T) {
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "u1", Name: "alice", Password: "pw"})
	auth := map[string]string{"Authorization": clientHeaderForTests, "Content-Type": "application/json"}
	for _, path := range []string{"/Users/New", "/Users/u1/Password", "/Users/u1/Policy"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, jf.URL+path, strings.NewReader(`{"Name":"x"}`))
		for k, v := range auth {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", path, resp.StatusCode)
		}
	}
	if _, ok := jf.UserByName("x"); ok {
		t.Error("an anonymous POST /Users/New made a user")
	}
}

const clientHeaderForTests = `MediaBrowser Client="t", Device="t", DeviceId="dev1", Version="1"`
