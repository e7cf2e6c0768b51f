package mediabrowser_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

// TestAuthenticateContract runs the same sign-in contract against the fake
// Jellyfin and the fake Emby.
func TestAuthenticateContract(t *testing.T) {
	for _, fc := range flavors {
		t.Run(string(fc.flavor), func(t *testing.T) {
			t.Run("success", func(t *testing.T) { testSuccess(t, fc) })
			t.Run("refusals", func(t *testing.T) { testRefusals(t, fc) })
			t.Run("admin mapping", func(t *testing.T) { testAdmin(t, fc) })
			t.Run("disabled between calls", func(t *testing.T) { testDisabledAfterAuth(t, fc) })
			t.Run("unavailable", func(t *testing.T) { testUnavailable(t, fc) })
			t.Run("stable device id", func(t *testing.T) { testStableDevice(t, fc) })
			t.Run("server URL forms", func(t *testing.T) { testServerURLForms(t, fc) })
		})
	}
}

func testSuccess(t *testing.T, fc flavorCase) {
	for _, withKey := range []bool{false, true} {
		name := "token only"
		if withKey {
			name = "with API key"
		}
		t.Run(name, func(t *testing.T) {
			srv := fc.start(t)
			u := srv.AddUser(mbtest.User{Name: "alice", Password: "correct horse"})
			cfg := config(fc.flavor, srv.URL)
			if withKey {
				cfg.APIKey = mbtest.APIKey
			}
			id, err := newClient(t, cfg).Authenticate(t.Context(), "Alice", "correct horse")
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			want := providers.Identity{Provider: string(fc.flavor), Subject: u.ID, Username: "alice", DisplayName: "alice",
				Token: id.Token, Access: true, Reason: "enabled"}
			if id != want {
				t.Errorf("identity = %+v, want %+v", id, want)
			}
			if id.Token == "" || !srv.TokenValid(id.Token) {
				t.Errorf("token %q is not one the server accepts", id.Token)
			}

			reqs := srv.Requests()
			auths := srv.AuthenticateRequests()
			if len(auths) != 1 {
				t.Fatalf("got %d AuthenticateByName requests, want 1", len(auths))
			}
			if auths[0].Username != "Alice" {
				t.Errorf("body Username = %q, want %q", auths[0].Username, "Alice")
			}
			wantAuth := `MediaBrowser Client="AuthPortal", Device="AuthPortal", DeviceId="` + cfg.DeviceID + `", Version="1.0.0"`
			if got := auths[0].Header.Get("Authorization"); got != wantAuth {
				t.Errorf("Authorization = %q, want %q", got, wantAuth)
			}
			wantCalls := 2 // sign-in, token check
			if withKey {
				wantCalls = 3 // and the policy read with the key
			}
			if len(reqs) != wantCalls {
				t.Errorf("got %d requests, want %d", len(reqs), wantCalls)
			}
			var sawToken, sawKey bool
			for _, r := range reqs {
				switch r.Auth["Token"] {
				case id.Token:
					sawToken = true
				case mbtest.APIKey:
					sawKey = true
				}
				if fc.flavor == mediabrowser.Emby {
					if !strings.HasPrefix(r.Path, "/emby/") {
						t.Errorf("Emby request path %q lacks the /emby prefix", r.Path)
					}
					if !r.Gzipped {
						t.Errorf("Emby answer to %s was not gzipped: the client did not accept gzip", r.Path)
					}
				} else {
					for _, h := range []string{"X-Emby-Authorization", "X-Emby-Token"} {
						if r.Header.Get(h) != "" {
							t.Errorf("Jellyfin request %s carries legacy header %s", r.Path, h)
						}
					}
				}
			}
			if !sawToken {
				t.Error("the returned token was never used to validate it")
			}
			if sawKey != withKey {
				t.Errorf("policy read with the API key = %v, want %v", sawKey, withKey)
			}
		})
	}
}

func testRefusals(t *testing.T, fc flavorCase) {
	jellyfin := fc.flavor == mediabrowser.Jellyfin
	tests := []struct {
		name         string
		user         mbtest.User
		username     string
		password     string
		wantDisabled bool
		wantRequests int
	}{
		{name: "wrong password", user: mbtest.User{Name: "bob", Password: "right"}, username: "bob", password: "wrong", wantRequests: 1},
		{name: "unknown user", user: mbtest.User{Name: "bob", Password: "right"}, username: "carol", password: "right", wantRequests: 1},
		{name: "empty password", user: mbtest.User{Name: "bob", Password: "right"}, username: "bob", password: "", wantRequests: 1},
		{name: "empty username", user: mbtest.User{Name: "bob", Password: "right"}, username: " ", password: "right", wantRequests: 0},
		// Jellyfin says 403 for a disabled account; Emby says 401, as for a
		// wrong password.
		{name: "disabled user", user: mbtest.User{Name: "bob", Password: "right", IsDisabled: true}, username: "bob", password: "right",
			wantDisabled: jellyfin, wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fc.start(t)
			srv.AddUser(tt.user)
			cfg := config(fc.flavor, srv.URL)
			cfg.APIKey = mbtest.APIKey
			id, err := newClient(t, cfg).Authenticate(t.Context(), tt.username, tt.password)
			if !errors.Is(err, providers.ErrInvalidCredentials) {
				t.Fatalf("err = %v, want ErrInvalidCredentials", err)
			}
			if got := errors.Is(err, mediabrowser.ErrDisabled); got != tt.wantDisabled {
				t.Errorf("errors.Is(err, ErrDisabled) = %v, want %v", got, tt.wantDisabled)
			}
			wantReason := "invalid_credentials"
			if tt.wantDisabled {
				wantReason = "disabled"
			}
			if got := mediabrowser.Reason(err); got != wantReason {
				t.Errorf("Reason = %q, want %q", got, wantReason)
			}
			if errors.Is(err, providers.ErrUnavailable) {
				t.Errorf("err = %v also reads as unavailable", err)
			}
			if id != (providers.Identity{}) {
				t.Errorf("identity = %+v, want zero", id)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d (no retries, nothing after a refusal)", n, tt.wantRequests)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q contains the password", err)
			}
			if strings.Contains(err.Error(), mbtest.APIKey) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}

	if jellyfin {
		// Each wrong password counts once toward the lockout: after three,
		// the right password finds the account disabled.
		t.Run("lockout counts one failure per attempt", func(t *testing.T) {
			srv := fc.start(t)
			u := srv.AddUser(mbtest.User{Name: "dave", Password: "right", LoginAttemptsBeforeLockout: 4})
			c := newClient(t, config(fc.flavor, srv.URL))
			for i := range 3 {
				if _, err := c.Authenticate(t.Context(), "dave", "wrong"); !errors.Is(err, providers.ErrInvalidCredentials) || errors.Is(err, mediabrowser.ErrDisabled) {
					t.Fatalf("attempt %d: err = %v, want a plain ErrInvalidCredentials", i+1, err)
				}
			}
			if got, _ := srv.User(u.ID); got.InvalidLoginAttemptCount != 3 || got.IsDisabled {
				t.Fatalf("after 3 wrong passwords: count %d disabled %v, want 3 false", got.InvalidLoginAttemptCount, got.IsDisabled)
			}
			if _, err := c.Authenticate(t.Context(), "dave", "right"); err != nil {
				t.Fatalf("right password before lockout: %v", err)
			}
		})
	}
}

func testAdmin(t *testing.T, fc flavorCase) {
	tests := []struct {
		name         string
		serverAdmin  bool
		adminIsAdmin bool
		apiKey       bool
		want         bool
	}{
		{"server admin counted", true, true, true, true},
		{"server admin counted without API key", true, true, false, true},
		{"server admin not counted", true, false, true, false},
		{"plain user", false, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fc.start(t)
			srv.AddUser(mbtest.User{Name: "erin", Password: "pw", IsAdministrator: tt.serverAdmin})
			cfg := config(fc.flavor, srv.URL)
			cfg.AdminIsAdmin = tt.adminIsAdmin
			if tt.apiKey {
				cfg.APIKey = mbtest.APIKey
			}
			id, err := newClient(t, cfg).Authenticate(t.Context(), "erin", "pw")
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if id.Admin != tt.want || !id.Access {
				t.Errorf("Admin = %v Access = %v, want %v true", id.Admin, id.Access, tt.want)
			}
		})
	}
}

// An admin disables the user after the server accepted the password: the
// policy read with the API key has the last word.
func testDisabledAfterAuth(t *testing.T, fc flavorCase) {
	srv := fc.start(t)
	u := srv.AddUser(mbtest.User{Name: "frank", Password: "pw", IsAdministrator: true})
	srv.BeforeServe(func(r mbtest.Request) {
		if r.Auth["Token"] == mbtest.APIKey {
			srv.UpdateUser(u.ID, func(u *mbtest.User) { u.IsDisabled = true })
		}
	})
	cfg := config(fc.flavor, srv.URL)
	cfg.APIKey = mbtest.APIKey
	cfg.AdminIsAdmin = true
	id, err := newClient(t, cfg).Authenticate(t.Context(), "frank", "pw")
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if id.Access || id.Admin || id.Reason != "disabled" || id.Subject != u.ID {
		t.Errorf("identity = %+v, want Access false, Admin false, Reason disabled, Subject %s", id, u.ID)
	}
}

func testUnavailable(t *testing.T, fc flavorCase) {
	tests := []struct {
		name  string
		setup func(*mbtest.Server)
	}{
		{"500", func(s *mbtest.Server) { s.Fail(http.StatusInternalServerError) }},
		{"503", func(s *mbtest.Server) { s.Fail(http.StatusServiceUnavailable) }},
		{"429", func(s *mbtest.Server) { s.Fail(http.StatusTooManyRequests) }},
		{"down", func(s *mbtest.Server) { s.Down() }},
		{"404 (wrong ServerURL)", func(s *mbtest.Server) { s.Fail(http.StatusNotFound) }},
		{"slow", func(s *mbtest.Server) { s.Slow() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fc.start(t)
			srv.AddUser(mbtest.User{Name: "gina", Password: "pw"})
			tt.setup(srv)
			cfg := config(fc.flavor, srv.URL)
			cfg.Timeout = 50 * time.Millisecond
			_, err := newClient(t, cfg).Authenticate(t.Context(), "gina", "pw")
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if errors.Is(err, providers.ErrInvalidCredentials) {
				t.Errorf("err = %v also reads as refused credentials", err)
			}
			if tt.name != "down" {
				if n := len(srv.AuthenticateRequests()); n != 1 {
					t.Errorf("got %d AuthenticateByName requests, want 1 (no retries)", n)
				}
			}
		})
	}

	t.Run("API key refused", func(t *testing.T) {
		srv := fc.start(t)
		srv.AddUser(mbtest.User{Name: "gina", Password: "pw"})
		cfg := config(fc.flavor, srv.URL)
		cfg.APIKey = "not-the-key"
		_, err := newClient(t, cfg).Authenticate(t.Context(), "gina", "pw")
		if !errors.Is(err, mediabrowser.ErrAPIKeyRefused) || errors.Is(err, providers.ErrInvalidCredentials) {
			t.Fatalf("err = %v, want ErrAPIKeyRefused only", err)
		}
		if strings.Contains(err.Error(), "not-the-key") {
			t.Errorf("error %q contains the API key", err)
		}
	})
}

// Two clients built from the same secret (two nodes, or one after a
// restart) present the same device, so the server keeps one device per user.
func testStableDevice(t *testing.T, fc flavorCase) {
	srv := fc.start(t)
	srv.AddUser(mbtest.User{Name: "hank", Password: "pw"})
	first, err := newClient(t, config(fc.flavor, srv.URL)).Authenticate(t.Context(), "hank", "pw")
	if err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	if _, err := newClient(t, config(fc.flavor, srv.URL)).Authenticate(t.Context(), "hank", "pw"); err != nil {
		t.Fatalf("second sign-in: %v", err)
	}
	auths := srv.AuthenticateRequests()
	if len(auths) != 2 {
		t.Fatalf("got %d AuthenticateByName requests, want 2", len(auths))
	}
	a, b := auths[0].Auth["DeviceId"], auths[1].Auth["DeviceId"]
	if a == "" || a != b {
		t.Errorf("DeviceId %q then %q, want the same non-empty id", a, b)
	}
	// The server replaced the device's earlier token rather than adding one.
	if srv.TokenValid(first.Token) {
		t.Error("the first sign-in's token is still valid: the second sign-in looked like a new device")
	}
}

// A trailing slash, and for Emby an explicit /emby, give the same paths.
func testServerURLForms(t *testing.T, fc flavorCase) {
	srv := fc.start(t)
	srv.AddUser(mbtest.User{Name: "kim", Password: "pw"})
	forms := []string{srv.URL + "/"}
	if fc.flavor == mediabrowser.Emby {
		forms = append(forms, srv.URL+"/emby", srv.URL+"/emby/")
	}
	for _, u := range forms {
		if _, err := newClient(t, config(fc.flavor, u)).Authenticate(t.Context(), "kim", "pw"); err != nil {
			t.Errorf("ServerURL %q: %v", u, err)
		}
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "//") || strings.Contains(strings.ToLower(r.Path), "/emby/emby") {
			t.Errorf("request path %q", r.Path)
		}
	}
}
