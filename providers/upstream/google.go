package upstream

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/providers"
	"golang.org/x/oauth2"
)

// GoogleConfig configures [NewGoogle]. Zero URLs mean Google's.
type GoogleConfig struct {
	ClientID     string // required
	ClientSecret string // required
	RedirectURL  string // required: the portal's callback, as registered at Google
	// Scopes default to "openid", "email" and "profile".
	Scopes []string
	// AuthURL defaults to https://accounts.google.com/o/oauth2/v2/auth,
	// TokenURL to https://oauth2.googleapis.com/token and UserinfoURL to
	// https://openidconnect.googleapis.com/v1/userinfo.
	AuthURL, TokenURL, UserinfoURL string
	// HTTPClient is copied; nil means a fresh client. Its Timeout, when
	// zero, becomes Timeout.
	HTTPClient *http.Client
	// Timeout bounds each outside call; zero means DefaultTimeout.
	Timeout time.Duration
}

// Validate reports every missing field at once.
func (c GoogleConfig) Validate() error {
	return required("google", "ClientID", c.ClientID, "ClientSecret", c.ClientSecret, "RedirectURL", c.RedirectURL)
}

// Google signs users in with their Google account: authorization code flow
// with PKCE, then the OpenID Connect userinfo endpoint, called with the
// access token just obtained over TLS from Google's token endpoint. The ID
// token in the token answer is not used, so the nonce is sent (Google puts
// it in the ID token) but not checked; state and PKCE bind the code to the
// browser. Subject is Google's "sub"; EmailVerified is Google's
// email_verified.
type Google struct {
	oauth       oauth2.Config
	userinfoURL string
	http        httpSetup
}

var _ Upstream = (*Google)(nil)

// NewGoogle returns a Google upstream, or the Validate error.
func NewGoogle(cfg GoogleConfig) (*Google, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", "email", "profile"}
	}
	return &Google{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   orDefault(cfg.AuthURL, "https://accounts.google.com/o/oauth2/v2/auth"),
				TokenURL:  orDefault(cfg.TokenURL, "https://oauth2.googleapis.com/token"),
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		userinfoURL: orDefault(cfg.UserinfoURL, "https://openidconnect.googleapis.com/v1/userinfo"),
		http:        newHTTPSetup(cfg.HTTPClient, cfg.Timeout),
	}, nil
}

// Name returns "google".
func (g *Google) Name() string { return "google" }

// AuthURL returns Google's authorization URL with state, nonce and the S256
// challenge of verifier.
func (g *Google) AuthURL(_ context.Context, state, nonce, verifier string) (string, error) {
	if state == "" || nonce == "" || verifier == "" {
		return "", errMissingFlowValue
	}
	return g.oauth.AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce),
	), nil
}

type googleUserinfo struct {
	Sub           string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	Picture       string `json:"picture"`
}

// Finish exchanges code with verifier and reads the userinfo endpoint. The
// nonce is not checked (see [Google]).
func (g *Google) Finish(ctx context.Context, code, verifier, _ string) (providers.Identity, error) {
	if code == "" || verifier == "" {
		return providers.Identity{}, errMissingFlowValue
	}
	xctx, cancel := g.http.ctx(ctx)
	tok, err := g.oauth.Exchange(xctx, code, oauth2.VerifierOption(verifier))
	cancel()
	if err != nil {
		return providers.Identity{}, exchangeError("google", err)
	}
	var u googleUserinfo
	if e := g.http.getJSON(ctx, "google", "userinfo", g.userinfoURL, tok.AccessToken, nil, &u); e != nil {
		return providers.Identity{}, e
	}
	if u.Sub == "" {
		return providers.Identity{}, &Error{Provider: "google", Step: "userinfo", Status: http.StatusOK, Kind: providers.ErrUnavailable, Cause: errors.New("no sub in answer")}
	}
	return providers.Identity{
		Provider:      "google",
		Subject:       u.Sub,
		Email:         u.Email,
		EmailVerified: u.EmailVerified && u.Email != "",
		DisplayName:   u.Name,
		AvatarURL:     u.Picture,
	}, nil
}
