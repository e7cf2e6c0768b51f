package mediabrowser_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

func TestCheckAccess(t *testing.T) {
	for _, fc := range flavors {
		t.Run(string(fc.flavor), func(t *testing.T) {
			tests := []struct {
				name       string
				change     func(s *mbtest.Server, id string)
				apiKey     string
				wantAccess bool
				wantReason string
				wantErr    error
			}{
				{name: "enabled", apiKey: mbtest.APIKey, wantAccess: true, wantReason: "enabled"},
				{name: "disabled", apiKey: mbtest.APIKey, wantReason: "disabled",
					change: func(s *mbtest.Server, id string) { s.UpdateUser(id, func(u *mbtest.User) { u.IsDisabled = true }) }},
				{name: "removed", apiKey: mbtest.APIKey, wantReason: "removed",
					change: func(s *mbtest.Server, id string) { s.DeleteUser(id) }},
				{name: "no API key", wantErr: mediabrowser.ErrNoAPIKey},
				{name: "API key refused", apiKey: "wrong-key", wantErr: mediabrowser.ErrAPIKeyRefused},
				{name: "server error", apiKey: mbtest.APIKey, wantErr: providers.ErrUnavailable,
					change: func(s *mbtest.Server, _ string) { s.Fail(http.StatusBadGateway) }},
				{name: "server down", apiKey: mbtest.APIKey, wantErr: providers.ErrUnavailable,
					change: func(s *mbtest.Server, _ string) { s.Down() }},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					srv := fc.start(t)
					u := srv.AddUser(mbtest.User{Name: "ivy", Password: "pw"})
					if tt.change != nil {
						tt.change(srv, u.ID)
					}
					cfg := config(fc.flavor, srv.URL)
					cfg.APIKey = tt.apiKey
					access, reason, err := newClient(t, cfg).CheckAccess(t.Context(), u.ID)
					if tt.wantErr != nil {
						if !errors.Is(err, tt.wantErr) {
							t.Fatalf("err = %v, want %v", err, tt.wantErr)
						}
						if access {
							t.Error("access granted alongside an error")
						}
						return
					}
					if err != nil {
						t.Fatalf("CheckAccess: %v", err)
					}
					if access != tt.wantAccess || reason != tt.wantReason {
						t.Errorf("CheckAccess = %v %q, want %v %q", access, reason, tt.wantAccess, tt.wantReason)
					}
				})
			}
		})
	}
}

// Answers are read only up to a bound, compressed or not.
func TestOversizedAnswer(t *testing.T) {
	for _, fc := range flavors {
		t.Run(string(fc.flavor), func(t *testing.T) {
			srv := fc.start(t)
			srv.AddUser(mbtest.User{Name: "jo", Password: "pw"})
			// Every request gets this answer, which is also a UserDto for
			// the token check: only the bound makes the sign-in fail.
			// Valid JSON start, then 4 MiB of padding (gzip makes it tiny on the wire for Emby).
			body := append([]byte(`{"AccessToken":"x","Id":"y","Policy":{},"User":{"Id":"y","Name":"`), bytes.Repeat([]byte("a"), 4<<20)...)
			body = append(body, `"}}`...)
			srv.Answer(http.StatusOK, "application/json", body)
			_, err := newClient(t, config(fc.flavor, srv.URL)).Authenticate(t.Context(), "jo", "pw")
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestCheckAccessEmptyID(t *testing.T) {
	srv := mbtest.NewJellyfin(t)
	cfg := config(mediabrowser.Jellyfin, srv.URL)
	cfg.APIKey = mbtest.APIKey
	if access, _, err := newClient(t, cfg).CheckAccess(t.Context(), ""); err == nil || access {
		t.Fatalf("CheckAccess(\"\") = %v, %v; want an error", access, err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("got %d requests for an empty id, want 0", n)
	}
}
