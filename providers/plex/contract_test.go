package plex_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/plex"
	"github.com/authportal/authportal/providers/plex/plextest"
)

const clientID = "authportal-test-client"

// Fixtures: ids past 2^53 catch a float64 decode.
var (
	owner   = plextest.Account{ID: 1<<53 + 3, UUID: "0wn3r", Username: "owner", Email: "owner@example.com", Title: "The Owner", Token: "tok-owner"}
	friend  = plextest.Account{ID: 1<<53 + 5, UUID: "fr1end", Username: "friend", Email: "friend@example.com", Title: "Friend", Token: "tok-friend"}
	mallory = plextest.Account{ID: 77, UUID: "m4ll0ry", Username: "mallory", Email: "mallory@example.com", Title: "Mallory", Token: "tok-mallory"}
	home    = plextest.MediaServer{Name: "Home", MachineID: "machine-home", OwnerID: owner.ID}
	// Mallory owns a server she named like the owner's.
	copycat = plextest.MediaServer{Name: "Home", MachineID: "machine-copycat", OwnerID: mallory.ID}
)

func newFake(t *testing.T) *plextest.Server {
	t.Helper()
	srv := plextest.NewServer(t)
	for _, a := range []plextest.Account{owner, friend, mallory} {
		srv.AddAccount(a)
	}
	srv.AddServer(home)
	srv.AddServer(copycat)
	srv.Share(home.MachineID, friend.ID)
	return srv
}

func newClient(t *testing.T, srv *plextest.Server, timeout time.Duration) *plex.Client {
	t.Helper()
	c, err := plex.NewClient(plex.Config{APIURL: srv.URL, AppURL: srv.URL, ClientID: clientID, Product: "AuthPortal Test", Version: "1.2.3", Timeout: timeout})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func TestPINFlow(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)
	ctx := t.Context()

	pin, err := c.CreatePIN(ctx)
	if err != nil {
		t.Fatalf("CreatePIN: %v", err)
	}
	if pin.ID != plextest.FirstPINID {
		t.Errorf("pin id = %d, want %d (exact past 2^53)", pin.ID, plextest.FirstPINID)
	}
	if len(pin.Code) < 8 {
		t.Errorf("pin code %q is not a strong code", pin.Code)
	}
	if pin.ExpiresAt.IsZero() {
		t.Error("pin ExpiresAt is zero, want plex.tv's expiresAt")
	}

	if _, err := c.CheckPIN(ctx, pin.ID); !errors.Is(err, providers.ErrPending) {
		t.Fatalf("CheckPIN before claim: err = %v, want ErrPending", err)
	}
	if err := srv.Claim(pin.ID, friend.Token); err != nil {
		t.Fatal(err)
	}
	tok, err := c.CheckPIN(ctx, pin.ID)
	if err != nil || tok != friend.Token {
		t.Fatalf("CheckPIN after claim = %q, %v; want the friend's token", tok, err)
	}

	creates := srv.RequestsTo(http.MethodPost, "/api/v2/pins")
	if len(creates) != 1 {
		t.Fatalf("got %d create requests, want 1", len(creates))
	}
	if got := creates[0].Param("strong"); got != "true" {
		t.Errorf("create pin strong = %q, want true", got)
	}
	polls := srv.RequestsTo(http.MethodGet, "/api/v2/pins/"+strconv.FormatInt(pin.ID, 10))
	if len(polls) != 2 {
		t.Fatalf("got %d poll requests, want 2", len(polls))
	}
	for _, r := range append(creates, polls...) {
		assertPlexHeaders(t, r)
		if r.Param("X-Plex-Token") != "" {
			t.Errorf("%s %s carried a token; PIN calls need none", r.Method, r.Path)
		}
	}
}

func assertPlexHeaders(t *testing.T, r plextest.Request) {
	t.Helper()
	want := map[string]string{
		"Accept":                   "application/json",
		"X-Plex-Client-Identifier": clientID,
		"X-Plex-Product":           "AuthPortal Test",
		"X-Plex-Version":           "1.2.3",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s %s: header %s = %q, want %q", r.Method, r.Path, k, got, v)
		}
	}
}

func TestCheckPINRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, srv *plextest.Server, id int64) (*plex.Client, int64)
	}{
		{"expired", func(t *testing.T, srv *plextest.Server, id int64) (*plex.Client, int64) {
			srv.Expire(id)
			return newClient(t, srv, 5*time.Second), id
		}},
		{"unknown", func(t *testing.T, srv *plextest.Server, id int64) (*plex.Client, int64) {
			return newClient(t, srv, 5*time.Second), id + 1000
		}},
		{"other client identifier", func(t *testing.T, srv *plextest.Server, id int64) (*plex.Client, int64) {
			other, err := plex.NewClient(plex.Config{APIURL: srv.URL, ClientID: "someone-else"})
			if err != nil {
				t.Fatal(err)
			}
			return other, id
		}},
		{"past its lifetime", func(t *testing.T, srv *plextest.Server, id int64) (*plex.Client, int64) {
			srv.Now = func() time.Time { return time.Now().Add(time.Hour) }
			return newClient(t, srv, 5*time.Second), id
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			pin, err := newClient(t, srv, 5*time.Second).CreatePIN(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			c, id := tt.setup(t, srv, pin.ID)
			tok, err := c.CheckPIN(t.Context(), id)
			if !errors.Is(err, providers.ErrInvalidCredentials) || tok != "" {
				t.Fatalf("CheckPIN = %q, %v; want ErrInvalidCredentials", tok, err)
			}
			var apiErr *plex.APIError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Code != 1020 {
				t.Errorf("err = %#v, want APIError 404 code 1020", apiErr)
			}
		})
	}
}

func TestAuthURL(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)
	raw := c.AuthURL(plex.PIN{ID: 9, Code: "abcdefgh"}, "https://portal.example.com/auth/plex/return?x=1&y=2")

	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != srv.URL+"/auth" {
		t.Errorf("auth page = %q, want %q", got, srv.URL+"/auth")
	}
	if u.RawQuery != "" {
		t.Errorf("query %q: the parameters belong in the fragment", u.RawQuery)
	}
	if !strings.HasPrefix(u.Fragment, "?") {
		t.Fatalf("fragment %q does not start with ?", u.Fragment)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(u.EscapedFragment(), "?"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"clientID":                 clientID,
		"code":                     "abcdefgh",
		"forwardUrl":               "https://portal.example.com/auth/plex/return?x=1&y=2",
		"context[device][product]": "AuthPortal Test",
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestAccount(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)

	got, err := c.Account(t.Context(), friend.Token)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	want := plex.Account{ID: friend.ID, UUID: friend.UUID, Username: friend.Username, Email: friend.Email, Title: friend.Title,
		Thumb: "https://plex.tv/users/" + friend.UUID + "/avatar?c=1"}
	if got != want {
		t.Errorf("Account = %+v, want %+v", got, want)
	}
	reqs := srv.RequestsTo(http.MethodGet, "/api/v2/user")
	if len(reqs) != 1 {
		t.Fatalf("got %d user requests, want 1", len(reqs))
	}
	assertPlexHeaders(t, reqs[0])
	if reqs[0].Header.Get("X-Plex-Token") != friend.Token || reqs[0].Query.Get("X-Plex-Token") != "" {
		t.Errorf("token must travel in the X-Plex-Token header only; header %q, query %q",
			reqs[0].Header.Get("X-Plex-Token"), reqs[0].Query.Get("X-Plex-Token"))
	}

	_, err = c.Account(t.Context(), "tok-nobody")
	if !errors.Is(err, providers.ErrInvalidCredentials) {
		t.Fatalf("Account(bad token) err = %v, want ErrInvalidCredentials", err)
	}
	var apiErr *plex.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != 1001 {
		t.Errorf("err = %#v, want APIError 401 code 1001", apiErr)
	}
	if strings.Contains(err.Error(), "tok-nobody") {
		t.Errorf("error %q contains the token", err)
	}
}

func TestResources(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, 5*time.Second)

	got, err := c.Resources(t.Context(), friend.Token)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	want := []plex.Resource{{Name: "Home", ClientIdentifier: home.MachineID, Product: "Plex Media Server", Provides: "server",
		Owned: false, OwnerID: owner.ID, SourceTitle: owner.Title}}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("friend's resources = %+v, want %+v", got, want)
	}
	if !got[0].IsServer() {
		t.Error("IsServer = false for provides=server")
	}

	got, err = c.Resources(t.Context(), owner.Token)
	if err != nil || len(got) != 1 || !got[0].Owned || got[0].OwnerID != 0 {
		t.Fatalf("owner's resources = %+v, %v; want the owned server with no owner id", got, err)
	}
	reqs := srv.RequestsTo(http.MethodGet, "/api/v2/resources")
	for _, r := range reqs {
		assertPlexHeaders(t, r)
	}

	if _, err := c.Resources(t.Context(), "tok-nobody"); !errors.Is(err, providers.ErrInvalidCredentials) {
		t.Errorf("Resources(bad token) err = %v, want ErrInvalidCredentials", err)
	}
}

// Every call fails closed with ErrUnavailable when plex.tv is down, slow or
// answering 5xx, and no error repeats the token.
func TestUnavailable(t *testing.T) {
	calls := []struct {
		name string
		call func(c *plex.Client, srv *plextest.Server, t *testing.T) error
	}{
		{"create pin", func(c *plex.Client, _ *plextest.Server, t *testing.T) error {
			_, err := c.CreatePIN(t.Context())
			return err
		}},
		{"check pin", func(c *plex.Client, _ *plextest.Server, t *testing.T) error {
			_, err := c.CheckPIN(t.Context(), plextest.FirstPINID)
			return err
		}},
		{"account", func(c *plex.Client, _ *plextest.Server, t *testing.T) error {
			_, err := c.Account(t.Context(), friend.Token)
			return err
		}},
		{"resources", func(c *plex.Client, _ *plextest.Server, t *testing.T) error {
			_, err := c.Resources(t.Context(), friend.Token)
			return err
		}},
	}
	failures := []struct {
		name  string
		apply func(srv *plextest.Server)
	}{
		{"500", func(srv *plextest.Server) { srv.Fail(http.StatusInternalServerError) }},
		{"503", func(srv *plextest.Server) { srv.Fail(http.StatusServiceUnavailable) }},
		{"429", func(srv *plextest.Server) { srv.Fail(http.StatusTooManyRequests) }},
		{"hang", func(srv *plextest.Server) { srv.Hang(true) }},
		{"down", func(srv *plextest.Server) { srv.CloseClientConnections(); srv.Close() }},
	}
	for _, f := range failures {
		for _, call := range calls {
			t.Run(f.name+"/"+call.name, func(t *testing.T) {
				srv := newFake(t)
				c := newClient(t, srv, 200*time.Millisecond)
				if _, err := c.CreatePIN(t.Context()); err != nil { // so "check pin" has a pin to fail on
					t.Fatal(err)
				}
				f.apply(srv)
				err := call.call(c, srv, t)
				if !errors.Is(err, providers.ErrUnavailable) {
					t.Fatalf("err = %v, want ErrUnavailable", err)
				}
				if errors.Is(err, providers.ErrInvalidCredentials) || errors.Is(err, providers.ErrPending) {
					t.Errorf("err = %v also matches a credential outcome", err)
				}
				if strings.Contains(err.Error(), friend.Token) {
					t.Errorf("error %q contains the token", err)
				}
			})
		}
	}
}
