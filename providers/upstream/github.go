package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/markbates/goth/providers/github"
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
// PKCE). goth's github provider builds the authorization URL and reads the
// profile; the code exchange is x/oauth2's, with the PKCE verifier. The
// Identity's Subject is the numeric account id, Username the login, and
// Email the verified primary address from /user/emails only (empty, with
// EmailVerified false, when there is none): the public profile email goth
// prefers is not taken on its word.
type GitHub struct {
	goth      *github.Provider // authorization URL and profile (FetchUser)
	oauth     oauth2.Config    // the code exchange, with PKCE
	userPath  string           // URL path of /user, to map goth's errors
	emailsURL string
	wantsMail bool // the scopes ask for the email addresses
	http      httpSetup
}

var _ Upstream = (*GitHub)(nil)

// githubHeaders are what GitHub asks REST API clients to send.
var githubHeaders = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"X-Github-Api-Version": {"2022-11-28"},
}

// NewGitHub returns a GitHub upstream, or the Validate error.
func NewGitHub(cfg GitHubConfig) (*GitHub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	authURL := orDefault(cfg.AuthURL, "https://github.com/login/oauth/authorize")
	tokenURL := orDefault(cfg.TokenURL, "https://github.com/login/oauth/access_token")
	apiURL := strings.TrimSuffix(orDefault(cfg.APIURL, "https://api.github.com"), "/")
	userURL, err := url.Parse(apiURL + "/user")
	if err != nil {
		return nil, errors.New("upstream github: APIURL must be an absolute URL")
	}
	return &GitHub{
		goth: github.NewCustomisedURL(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURL,
			authURL, tokenURL, apiURL+"/user", apiURL+"/user/emails", scopes...),
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		userPath:  strings.TrimSuffix(userURL.Path, "/"),
		emailsURL: apiURL + "/user/emails",
		wantsMail: slices.Contains(scopes, "user:email") || slices.Contains(scopes, "user"),
		http:      newHTTPSetup(cfg.HTTPClient, cfg.Timeout),
	}, nil
}

// Name returns "github".
func (g *GitHub) Name() string { return "github" }

// AuthURL returns GitHub's authorization URL (goth's) with state and the
// S256 challenge of verifier. GitHub does not use a nonce; it is ignored.
func (g *GitHub) AuthURL(_ context.Context, state, _, verifier string) (string, error) {
	if state == "" || verifier == "" {
		return "", errMissingFlowValue
	}
	return gothAuthURL(g.goth, state, nil, verifier, "")
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// Finish exchanges code with verifier, then has goth read /user (and, when
// the profile shows no public email, /user/emails). The nonce is ignored.
// An /user/emails answer other than 200 or 5xx (the user:email scope was
// not granted) leaves Email empty rather than failing.
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

	seen := &answers{}
	p := *g.goth // a copy per call: HTTPClient is this call's
	p.HTTPClient = g.http.gothClient(ctx, githubHeaders, seen)
	u, err := p.FetchUser(&github.Session{AccessToken: tok.AccessToken})
	noVerified := errors.Is(err, github.ErrNoVerifiedGitHubPrimaryEmail)
	if err != nil && !noVerified {
		emailsPath := g.userPath + "/emails"
		userStatus, _ := seen.of(g.userPath)
		if _, asked := seen.of(emailsPath); userStatus != http.StatusOK || !asked {
			return providers.Identity{}, gothError("github", "user", seen, g.userPath, err)
		}
		// /user was read: goth failed at /user/emails.
		if e := gothError("github", "emails", seen, emailsPath, err); e.Status == 0 || e.Status == http.StatusOK || e.Status >= 500 {
			return providers.Identity{}, e
		}
		u.Email = "" // the user:email scope was not granted: no email known
	}
	if u.UserID == "" || u.UserID == "0" {
		return providers.Identity{}, &Error{Provider: "github", Step: "user", Status: http.StatusOK, Kind: providers.ErrUnavailable, Cause: errors.New("no account id in answer")}
	}
	id := providers.Identity{
		Provider:    "github",
		Subject:     u.UserID,
		Username:    u.NickName,
		DisplayName: u.Name,
		AvatarURL:   u.AvatarURL,
	}
	switch public, _ := u.RawData["email"].(string); {
	case noVerified || u.Email == "":
		return id, nil
	case public == "":
		// goth read /user/emails and kept the verified primary address.
		id.Email, id.EmailVerified = u.Email, true
		return id, nil
	case !g.wantsMail:
		return id, nil
	}
	// goth took the public profile email: ask /user/emails which address
	// GitHub verified.
	var emails []githubEmail
	if e := g.http.getJSON(ctx, "github", "emails", g.emailsURL, tok.AccessToken, githubHeaders, &emails); e != nil {
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

// gothError maps a goth call that failed by the answer path had, as seen
// recorded it: no answer (or path not asked) is unavailability, the cause
// kept; 200 is an answer goth could not read, unavailability too; 401 and
// 403 are refusals; anything else as statusKind.
func gothError(provider, step string, seen *answers, path string, err error) *Error {
	status, _ := seen.of(path)
	switch status {
	case 0:
		return &Error{Provider: provider, Step: step, Kind: providers.ErrUnavailable, Cause: transportCause(err)}
	case http.StatusOK:
		return &Error{Provider: provider, Step: step, Status: status, Kind: providers.ErrUnavailable, Cause: err}
	}
	return &Error{Provider: provider, Step: step, Status: status, Kind: statusKind(status)}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
