package upstream_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/upstream"
	"github.com/authportal/authportal/providers/upstream/googletest"
	"golang.org/x/oauth2"
)

func newGoogle(t *testing.T, fake *googletest.Server, mod func(*upstream.GoogleConfig)) *upstream.Google {
	t.Helper()
	cfg := upstream.GoogleConfig{
		ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, RedirectURL: callback,
		AuthURL: fake.URL + googletest.PathAuthorize, TokenURL: fake.URL + googletest.PathToken, JWKSURL: fake.URL + googletest.PathCerts,
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := upstream.NewGoogle(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGoogleFinish(t *testing.T) {
	tests := []struct {
		name    string
		account googletest.Account
		want    providers.Identity
	}{
		{
			name:    "verified email",
			account: googletest.Account{Sub: "110169484474386276334", Email: "ada@example.test", EmailVerified: true, Name: "Ada", Picture: "https://lh3.example.test/a"},
			want:    providers.Identity{Provider: "google", Subject: "110169484474386276334", Email: "ada@example.test", EmailVerified: true, DisplayName: "Ada", AvatarURL: "https://lh3.example.test/a"},
		},
		{
			name:    "unverified email is passed on as unverified",
			account: googletest.Account{Sub: "42", Email: "bob@example.test", EmailVerified: false, Name: "Bob"},
			want:    providers.Identity{Provider: "google", Subject: "42", Email: "bob@example.test", DisplayName: "Bob"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := googletest.NewServer(t)
			fake.AddAccount(tt.account)
			fake.SignIn(tt.account.Sub)
			g := newGoogle(t, fake, nil)

			f := newFlow()
			authURL, err := g.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			if err != nil {
				t.Fatal(err)
			}
			code := mustState(t, browse(t, authURL, callback, nil), f)
			id, err := g.Finish(t.Context(), code, f.verifier, f.nonce)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if id != tt.want {
				t.Fatalf("got %+v, want %+v", id, tt.want)
			}
			auths := fake.RequestsTo(googletest.PathAuthorize)
			if len(auths) != 1 || auths[0].Form.Get("nonce") != f.nonce || auths[0].Form.Get("code_challenge_method") != "S256" {
				t.Fatalf("authorization request %+v, want one carrying the nonce and an S256 challenge", auths)
			}
			if toks := fake.RequestsTo(googletest.PathToken); len(toks) != 1 || toks[0].Form.Get("code_verifier") != f.verifier {
				t.Fatalf("token requests %+v, want one carrying the verifier", toks)
			}
			if auths[0].Form.Get("access_type") != "online" || auths[0].Form.Get("scope") != "openid email profile" {
				t.Fatalf("authorization request %v, want online access for openid email profile", auths[0].Form)
			}
		})
	}
}

func TestGoogleFailures(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(fake *googletest.Server, cfg *upstream.GoogleConfig)
		verifier string // instead of the flow's
		replay   bool
		want     error
	}{
		{name: "wrong PKCE verifier", verifier: upstream.NewVerifier(), want: providers.ErrInvalidCredentials},
		{name: "replayed code", replay: true, want: providers.ErrInvalidCredentials},
		{
			name:  "wrong client secret",
			setup: func(_ *googletest.Server, c *upstream.GoogleConfig) { c.ClientSecret = "not-the-secret" },
			want:  providers.ErrInvalidCredentials,
		},
		{
			name: "token endpoint 500",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) {
				fake.FailWith(googletest.PathToken, http.StatusInternalServerError)
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "keys endpoint 503",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) {
				fake.FailWith(googletest.PathCerts, http.StatusServiceUnavailable)
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "slow keys endpoint",
			setup: func(fake *googletest.Server, c *upstream.GoogleConfig) {
				fake.BlockPath(googletest.PathCerts)
				c.Timeout = 50 * time.Millisecond
			},
			want: providers.ErrUnavailable,
		},
		{
			name:  "ID token signed by another key",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) { fake.SignWithUnpublishedKey(true) },
			want:  providers.ErrInvalidCredentials,
		},
		{
			name: "ID token for another audience",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) {
				fake.EditIDToken(func(c map[string]any) { c["aud"] = "someone-else.apps.googleusercontent.com" })
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name: "ID token from another issuer",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) {
				fake.EditIDToken(func(c map[string]any) { c["iss"] = "https://accounts.example.test" })
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name: "ID token with another nonce",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) {
				fake.EditIDToken(func(c map[string]any) { c["nonce"] = upstream.NewNonce() })
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name: "expired ID token",
			setup: func(fake *googletest.Server, _ *upstream.GoogleConfig) {
				fake.EditIDToken(func(c map[string]any) {
					c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
				})
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name: "slow token endpoint, short http.Client timeout",
			setup: func(fake *googletest.Server, c *upstream.GoogleConfig) {
				fake.BlockPath(googletest.PathToken)
				c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
			},
			want: providers.ErrUnavailable,
		},
		{
			name:  "token endpoint down",
			setup: func(_ *googletest.Server, c *upstream.GoogleConfig) { c.TokenURL = "http://127.0.0.1:1/token" },
			want:  providers.ErrUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := googletest.NewServer(t)
			fake.AddAccount(googletest.Account{Sub: "7", Email: "g@example.test", EmailVerified: true})
			fake.SignIn("7")
			g := newGoogle(t, fake, func(c *upstream.GoogleConfig) {
				if tt.setup != nil {
					tt.setup(fake, c)
				}
			})
			f := newFlow()
			authURL, err := g.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			if err != nil {
				t.Fatal(err)
			}
			code := mustState(t, browse(t, authURL, callback, nil), f)
			verifier := f.verifier
			if tt.verifier != "" {
				verifier = tt.verifier
			}
			if tt.replay {
				if _, err := g.Finish(t.Context(), code, verifier, f.nonce); err != nil {
					t.Fatalf("first Finish: %v", err)
				}
			}
			_, err = g.Finish(t.Context(), code, verifier, f.nonce)
			wantKind(t, err, tt.want)
			noSecrets(t, err, code, f.verifier, fake.ClientSecret, "not-the-secret")
		})
	}
}

// A provider answering more than the size limit is unusable, not believed.
func TestGoogleOversizedTokenAnswer(t *testing.T) {
	fake := googletest.NewServer(t)
	fake.AddAccount(googletest.Account{Sub: "7"})
	fake.SignIn("7")
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if _, err := io.WriteString(w, `{"access_token":"x","token_type":"Bearer","id_token":"`+strings.Repeat("x", 2<<20)+`"}`); err != nil {
			return // the client stopped reading: what this test wants
		}
	}))
	t.Cleanup(huge.Close)
	g := newGoogle(t, fake, func(c *upstream.GoogleConfig) { c.TokenURL = huge.URL })
	f := newFlow()
	authURL, err := g.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
	if err != nil {
		t.Fatal(err)
	}
	code := mustState(t, browse(t, authURL, callback, nil), f)
	_, err = g.Finish(t.Context(), code, f.verifier, f.nonce)
	wantKind(t, err, providers.ErrUnavailable)
}

// Unconfigured, the authorization requests goth builds go to GitHub's and
// Google's own endpoints, with PKCE and (Google) the nonce added.
func TestDefaultAuthorizationEndpoints(t *testing.T) {
	f := newFlow()
	gh, err := upstream.NewGitHub(upstream.GitHubConfig{ClientID: "id", ClientSecret: "s", RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	g, err := upstream.NewGoogle(upstream.GoogleConfig{ClientID: "id", ClientSecret: "s", RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		up        upstream.Upstream
		endpoint  string
		wantNonce bool
	}{
		{gh, "https://github.com/login/oauth/authorize", false},
		{g, "https://accounts.google.com/o/oauth2/v2/auth", true},
	} {
		raw, err := tc.up.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme+"://"+u.Host+u.Path != tc.endpoint || q.Get("client_id") != "id" || q.Get("redirect_uri") != callback ||
			q.Get("response_type") != "code" || q.Get("state") != f.state || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(f.verifier) || (q.Get("nonce") == f.nonce) != tc.wantNonce {
			t.Errorf("%s: authorization URL %s", tc.up.Name(), raw)
		}
	}
}
