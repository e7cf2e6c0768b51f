package plex_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/plex"
)

// Answers plex.tv should never give are errors, never an account every
// such sign-in would share (the seed code fell back to id 0).
func TestMalformedAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"id as string", `{"id":"123","username":"x"}`},
		{"id missing", `{"username":"x"}`},
		{"id zero", `{"id":0,"username":"x"}`},
		{"id null", `{"id":null,"username":"x"}`},
		{"id fractional", `{"id":1.5,"username":"x"}`},
		{"not json", `<?xml version="1.0"?><user id="123"/>`},
		{"oversized", `{"id":123,"username":"` + strings.Repeat("x", 1<<20) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			c, err := plex.NewClient(plex.Config{APIURL: srv.URL, ClientID: clientID, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			acct, err := c.Account(t.Context(), "tok-x")
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("Account = %+v, %v; want ErrUnavailable", acct, err)
			}
		})
	}
}

func TestAccountIDPast2To53(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":9007199254740993,"uuid":"u"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := plex.NewClient(plex.Config{APIURL: srv.URL, ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := c.Account(t.Context(), "tok-x")
	if err != nil || acct.ID != 9007199254740993 {
		t.Fatalf("Account = %d, %v; want 9007199254740993", acct.ID, err)
	}
}

// A redirect would carry the X-Plex-Token header to its target: the client
// does not follow it.
func TestNoRedirects(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Plex-Token") != "" {
			leaked.Add(1)
		}
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	t.Cleanup(elsewhere.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c, err := plex.NewClient(plex.Config{APIURL: srv.URL, ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Account(t.Context(), "tok-x"); !errors.Is(err, providers.ErrUnavailable) {
		t.Errorf("Account across a redirect: err = %v, want ErrUnavailable", err)
	}
	if leaked.Load() != 0 {
		t.Error("the token followed the redirect")
	}
}

func TestConfigValidate(t *testing.T) {
	base := plex.Config{ClientID: "id"}
	tests := []struct {
		name   string
		mutate func(*plex.Config)
		ok     bool
	}{
		{"baseline", func(*plex.Config) {}, true},
		{"custom urls", func(c *plex.Config) { c.APIURL, c.AppURL = "http://127.0.0.1:9", "https://app.example.com/" }, true},

		{"no client id", func(c *plex.Config) { c.ClientID = " " }, false},
		{"client id with newline", func(c *plex.Config) { c.ClientID = "a\nb" }, false},
		{"relative api url", func(c *plex.Config) { c.APIURL = "plex.tv" }, false},
		{"ftp app url", func(c *plex.Config) { c.AppURL = "ftp://app.plex.tv" }, false},
		{"api url with credentials", func(c *plex.Config) { c.APIURL = "https://u:p@plex.tv" }, false},
		{"negative timeout", func(c *plex.Config) { c.Timeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mutate(&cfg)
			err := cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
			if _, nerr := plex.NewClient(cfg); (nerr == nil) != tt.ok {
				t.Fatalf("NewClient err = %v, want ok %v", nerr, tt.ok)
			}
		})
	}
}
