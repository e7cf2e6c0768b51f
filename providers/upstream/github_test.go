package upstream_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/upstream"
	"github.com/authportal/authportal/providers/upstream/githubtest"
)

const callback = "https://portal.example.test/auth/callback"

func newGitHub(t *testing.T, fake *githubtest.Server, mod func(*upstream.GitHubConfig)) *upstream.GitHub {
	t.Helper()
	cfg := upstream.GitHubConfig{
		ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, RedirectURL: callback,
		AuthURL: fake.URL + githubtest.PathAuthorize, TokenURL: fake.URL + githubtest.PathToken, APIURL: fake.URL,
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := upstream.NewGitHub(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGitHubFinish(t *testing.T) {
	tests := []struct {
		name      string
		public    string // the profile's public email
		emails    []githubtest.Email
		scopes    []string
		wantEmail string
	}{
		{
			name:   "verified primary email is used, the public profile email is not",
			public: "public@example.test",
			emails: []githubtest.Email{
				{Email: "other@example.test", Verified: true},
				{Email: "octo@example.test", Primary: true, Verified: true},
			},
			wantEmail: "octo@example.test",
		},
		{
			name:   "unverified primary email is ignored",
			public: "public@example.test",
			emails: []githubtest.Email{
				{Email: "octo@example.test", Primary: true, Verified: false},
				{Email: "other@example.test", Verified: true},
			},
		},
		{
			name: "no public email: the verified primary email goth found",
			emails: []githubtest.Email{
				{Email: "other@example.test", Verified: true},
				{Email: "octo@example.test", Primary: true, Verified: true},
			},
			wantEmail: "octo@example.test",
		},
		{
			name:   "no public email, no verified primary: no email, still signed in",
			emails: []githubtest.Email{{Email: "octo@example.test", Primary: true}, {Email: "other@example.test", Verified: true}},
		},
		{
			name:   "no user:email scope: no email, still signed in",
			public: "public@example.test",
			emails: []githubtest.Email{{Email: "octo@example.test", Primary: true, Verified: true}},
			scopes: []string{"read:user"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := githubtest.NewServer(t)
			fake.AddAccount(githubtest.Account{ID: 583231, Login: "octocat", Name: "The Octocat", AvatarURL: "https://avatars.example.test/u/583231",
				PublicEmail: tt.public, Emails: tt.emails})
			fake.SignIn("octocat")
			g := newGitHub(t, fake, func(c *upstream.GitHubConfig) { c.Scopes = tt.scopes })

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
			want := providers.Identity{Provider: "github", Subject: "583231", Username: "octocat", DisplayName: "The Octocat",
				AvatarURL: "https://avatars.example.test/u/583231", Email: tt.wantEmail, EmailVerified: tt.wantEmail != ""}
			if id != want {
				t.Fatalf("got %+v, want %+v", id, want)
			}

			toks := fake.RequestsTo(githubtest.PathToken)
			if len(toks) != 1 {
				t.Fatalf("got %d token requests, want 1", len(toks))
			}
			if toks[0].Form.Get("code_verifier") != f.verifier {
				t.Fatal("token request did not carry the PKCE verifier")
			}
			users := fake.RequestsTo(githubtest.PathUser)
			if len(users) != 1 || len(users[0].Authorization) < len("Bearer x") || users[0].Authorization[:7] != "Bearer " {
				t.Fatalf("/user requests %+v, want one with a Bearer token", users)
			}
			if users[0].Accept != "application/vnd.github+json" {
				t.Fatalf("/user Accept = %q, want application/vnd.github+json", users[0].Accept)
			}
		})
	}
}

func TestGitHubFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(fake *githubtest.Server, cfg *upstream.GitHubConfig)
		finish func(t *testing.T, g *upstream.GitHub, code string, f flow) error
		want   error
	}{
		{
			name: "wrong PKCE verifier",
			finish: func(t *testing.T, g *upstream.GitHub, code string, f flow) error {
				_, err := g.Finish(t.Context(), code, upstream.NewVerifier(), f.nonce)
				return err
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name: "replayed code",
			finish: func(t *testing.T, g *upstream.GitHub, code string, f flow) error {
				if _, err := g.Finish(t.Context(), code, f.verifier, f.nonce); err != nil {
					t.Fatalf("first Finish: %v", err)
				}
				_, err := g.Finish(t.Context(), code, f.verifier, f.nonce)
				return err
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name:  "wrong client secret",
			setup: func(_ *githubtest.Server, c *upstream.GitHubConfig) { c.ClientSecret = "not-the-secret" },
			want:  providers.ErrInvalidCredentials,
		},
		{
			name: "token endpoint 503",
			setup: func(fake *githubtest.Server, _ *upstream.GitHubConfig) {
				fake.FailWith(githubtest.PathToken, http.StatusServiceUnavailable)
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "/user 500",
			setup: func(fake *githubtest.Server, _ *upstream.GitHubConfig) {
				fake.FailWith(githubtest.PathUser, http.StatusInternalServerError)
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "/user 401",
			setup: func(fake *githubtest.Server, _ *upstream.GitHubConfig) {
				fake.FailWith(githubtest.PathUser, http.StatusUnauthorized)
			},
			want: providers.ErrInvalidCredentials,
		},
		{
			name: "/user/emails 502",
			setup: func(fake *githubtest.Server, _ *upstream.GitHubConfig) {
				fake.FailWith(githubtest.PathEmails, http.StatusBadGateway)
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "slow token endpoint",
			setup: func(fake *githubtest.Server, c *upstream.GitHubConfig) {
				fake.BlockPath(githubtest.PathToken)
				c.Timeout = 50 * time.Millisecond
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "slow API",
			setup: func(fake *githubtest.Server, c *upstream.GitHubConfig) {
				fake.BlockPath(githubtest.PathUser)
				c.Timeout = 50 * time.Millisecond
			},
			want: providers.ErrUnavailable,
		},
		{
			name: "API down",
			setup: func(fake *githubtest.Server, c *upstream.GitHubConfig) {
				c.APIURL = "http://127.0.0.1:1" // nothing listens there
			},
			want: providers.ErrUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := githubtest.NewServer(t)
			fake.AddAccount(githubtest.Account{ID: 1, Login: "octocat", Emails: []githubtest.Email{{Email: "o@example.test", Primary: true, Verified: true}}})
			fake.SignIn("octocat")
			cfg := func(c *upstream.GitHubConfig) {
				if tt.setup != nil {
					tt.setup(fake, c)
				}
			}
			g := newGitHub(t, fake, cfg)
			f := newFlow()
			authURL, err := g.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			if err != nil {
				t.Fatal(err)
			}
			code := mustState(t, browse(t, authURL, callback, nil), f)
			finish := tt.finish
			if finish == nil {
				finish = func(t *testing.T, g *upstream.GitHub, code string, f flow) error {
					_, err := g.Finish(t.Context(), code, f.verifier, f.nonce)
					return err
				}
			}
			err = finish(t, g, code, f)
			wantKind(t, err, tt.want)
			noSecrets(t, err, code, f.verifier, fake.ClientSecret, "not-the-secret")
		})
	}
}

func TestGitHubDeniedConsent(t *testing.T) {
	fake := githubtest.NewServer(t)
	g := newGitHub(t, fake, nil)
	f := newFlow()
	authURL, err := g.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
	if err != nil {
		t.Fatal(err)
	}
	q := browse(t, authURL, callback, nil) // nobody signed in: access_denied
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("callback %v, want error=access_denied and no code", q)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := upstream.NewGitHub(upstream.GitHubConfig{}); err == nil {
		t.Error("NewGitHub accepted an empty config")
	}
	if _, err := upstream.NewGoogle(upstream.GoogleConfig{ClientID: "x", ClientSecret: "y"}); err == nil {
		t.Error("NewGoogle accepted a config without RedirectURL")
	}
	if _, err := upstream.NewOIDC(upstream.OIDCConfig{ClientID: "x", ClientSecret: "y", RedirectURL: callback}); err == nil {
		t.Error("NewOIDC accepted a config without Issuer")
	}
}

// An API answering 200 with something that is not GitHub's JSON is
// unusable, not believed, wherever goth meets it.
func TestGitHubUnreadableAnswers(t *testing.T) {
	for _, path := range []string{githubtest.PathUser, githubtest.PathEmails} {
		t.Run(path, func(t *testing.T) {
			fake := githubtest.NewServer(t)
			fake.AddAccount(githubtest.Account{ID: 1, Login: "octocat"})
			fake.SignIn("octocat")
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := `{"id":1,"login":"octocat","email":null}`
				if r.URL.Path == path {
					body = "<html>maintenance</html>"
				}
				if _, err := io.WriteString(w, body); err != nil {
					return // the client went away
				}
			}))
			t.Cleanup(api.Close)
			g := newGitHub(t, fake, func(c *upstream.GitHubConfig) { c.APIURL = api.URL })
			f := newFlow()
			authURL, err := g.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			if err != nil {
				t.Fatal(err)
			}
			_, err = g.Finish(t.Context(), mustState(t, browse(t, authURL, callback, nil), f), f.verifier, f.nonce)
			wantKind(t, err, providers.ErrUnavailable)
		})
	}
}
