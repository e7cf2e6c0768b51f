package upstream

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authportal/authportal/providers"
	"golang.org/x/oauth2"
)

// GitHubConfig configures [NewGitHub]. Zero URLs mean github.com.
type GitHubConfig struct {
	ClientID     string // required
	ClientSecret string // required
	RedirectURL  string // required: the portal's callback, as registered at GitHub
	// Scopes default to "read:user" and "user:email"; without user:email
	// no email is known.
	Scopes []string
	// AuthURL defaults to https://github.com/login/oauth/authorize,
	// TokenURL to https://github.com/login/oauth/access_token and APIURL
	// to https://api.github.com (GitHub Enterprise: https://HOST/api/v3).
	AuthURL, TokenURL, APIURL string
	// HTTPClient is copied; nil means a fresh client. Its Timeout, when
	// zero, becomes Timeout.
	HTTPClient *http.Client
	// Timeout bounds each outside call; zero means DefaultTimeout.
	Timeout time.Duration
}

// Validate reports every missing field at once.
func (c GitHubConfig) Validate() error {
	return required("github", "ClientID", c.ClientID, "ClientSecret", c.ClientSecret, "RedirectURL", c.RedirectURL)
}

// GitHub signs users in with their GitHub account (OAuth 2.0 web flow with
// PKCE). The Identity's Subject is the numeric account id, Username the
// login, and Email the verified primary address from /user/emails only
// (empty, with EmailVerified false, when there is none).
type GitHub struct {
	oauth  oauth2.Config
	apiURL string
	http   httpSetup
}

var _ Upstream = (*GitHub)(nil)

// NewGitHub returns a GitHub upstream, or the Validate error.
func NewGitHub(cfg GitHubConfig) (*GitHub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	return &GitHub{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   orDefault(cfg.AuthURL, "https://github.com/login/oauth/authorize"),
				TokenURL:  orDefault(cfg.TokenURL, "https://github.com/login/oauth/access_token"),
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		apiURL: strings.TrimSuffix(orDefault(cfg.APIURL, "https://api.github.com"), "/"),
		http:   newHTTPSetup(cfg.HTTPClient, cfg.Timeout),
	}, nil
}

// Name returns "github".
func (g *GitHub) Name() string { return "github" }

// AuthURL returns GitHub's authorization URL with state and the S256
// challenge of verifier. GitHub does not use a nonce; it is ignored.
func (g *GitHub) AuthURL(_ context.Context, state, _, verifier string) (string, error) {
	if state == "" || verifier == "" {
		return "", errMissingFlowValue
	}
	return g.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

type githubUser struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

var githubHeaders = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"X-Github-Api-Version": {"2022-11-28"},
}

// Finish exchanges code with verifier, then reads /user and /user/emails.
// The nonce is ignored. An /user/emails answer other than 200 or 5xx (the
// user:email scope was not granted) leaves Email empty rather than failing.
func (g *GitHub) Finish(ctx context.Context, code, verifier, _ string) (providers.Identity, error) {
	if code == "" || verifier == "" {
		return providers.Identity{}, errMissingFlowValue
	}
	xctx, cancel := g.http.ctx(ctx)
	tok, err := g.oauth.Exchange(xctx, code, oauth2.VerifierOption(verifier))
	cancel()
	if err != nil {
		return providers.Identity{}, exchangeError("github", err)
	}

	var u githubUser
	if e := g.http.getJSON(ctx, "github", "user", g.apiURL+"/user", tok.AccessToken, githubHeaders, &u); e != nil {
		return providers.Identity{}, e
	}
	if u.ID == 0 {
		return providers.Identity{}, &Error{Provider: "github", Step: "user", Status: http.StatusOK, Kind: providers.ErrUnavailable, Cause: errors.New("no account id in answer")}
	}
	id := providers.Identity{
		Provider:    "github",
		Subject:     strconv.FormatInt(u.ID, 10),
		Username:    u.Login,
		DisplayName: u.Name,
		AvatarURL:   u.AvatarURL,
	}

	var emails []githubEmail
	if e := g.http.getJSON(ctx, "github", "emails", g.apiURL+"/user/emails", tok.AccessToken, githubHeaders, &emails); e != nil {
		if e.Status == 0 || e.Status >= 500 || e.Status == http.StatusOK {
			return providers.Identity{}, e
		}
		return id, nil // scope not granted: no email known
	}
	for _, m := range emails {
		if m.Primary && m.Verified && m.Email != "" {
			id.Email, id.EmailVerified = m.Email, true
			break
		}
	}
	return id, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
