package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/google"
	"golang.org/x/oauth2"
)

// Google's own endpoints, the defaults of GoogleConfig.
const (
	googleAuthURL  = "https://accounts.google.com/o/oauth2/v2/auth"
	googleTokenURL = "https://oauth2.googleapis.com/token"
	googleIssuer   = "https://accounts.google.com"
	googleJWKSURL  = "https://www.googleapis.com/oauth2/v3/certs"
)

// GoogleConfig configures [NewGoogle]. Zero URLs mean Google's.
type GoogleConfig struct {
	ClientID     string // required
	ClientSecret string // required
	RedirectURL  string // required: the portal's callback, as registered at Google
	// Scopes default to "openid", "email" and "profile".
	Scopes []string
	// AuthURL defaults to https://accounts.google.com/o/oauth2/v2/auth and
	// TokenURL to https://oauth2.googleapis.com/token.
	AuthURL, TokenURL string
	// Issuer is what ID tokens must name as "iss", default
	// https://accounts.google.com (Google's tokens may also say
	// accounts.google.com, which is accepted for that default only); JWKSURL
	// is where the keys that sign them are published, default
	// https://www.googleapis.com/oauth2/v3/certs.
	Issuer, JWKSURL string
	// HTTPClient is copied; nil means a fresh client. Its Timeout, when
	// zero, becomes Timeout.
	HTTPClient *http.Client
	// Timeout bounds each outside call; zero means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for ID token expiry; nil means time.Now.
	Now func() time.Time
}

// Validate reports every missing field at once.
func (c GoogleConfig) Validate() error {
	return required("google", "ClientID", c.ClientID, "ClientSecret", c.ClientSecret, "RedirectURL", c.RedirectURL)
}

// Google signs users in with their Google account: authorization code flow
// with PKCE and a nonce. goth's google provider builds the authorization
// request; the code exchange is x/oauth2's, with the PKCE verifier; and who
// signed in is read from the ID token of the token answer, verified with
// go-oidc (signature by a key Google publishes, issuer, audience, expiry)
// and for its nonce. goth's FetchUser is not used: it asks a fixed URL with
// the access token in the query string. Subject is the token's "sub";
// EmailVerified is its email_verified.
type Google struct {
	goth     *google.Provider // the authorization request
	endpoint *url.URL         // AuthURL, in place of goth's
	oauth    oauth2.Config    // the code exchange, with PKCE
	verifier *oidc.IDTokenVerifier
	http     httpSetup
}

var _ Upstream = (*Google)(nil)

// NewGoogle returns a Google upstream, or the Validate error. It makes no
// outside call: Google's keys are fetched on first use.
func NewGoogle(cfg GoogleConfig) (*Google, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// goth's Google endpoint is x/oauth2/google's, a package variable; the
	// configured one (Google's v2 endpoint by default) takes its place in
	// the URL goth builds.
	endpoint, err := url.Parse(orDefault(cfg.AuthURL, googleAuthURL))
	if err != nil || endpoint.Scheme == "" || endpoint.Host == "" {
		return nil, errors.New("upstream google: AuthURL must be an absolute URL")
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	p := google.New(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURL, scopes...)
	p.SetAccessType("online") // goth asks for offline access; the portal keeps no Google token
	h := newHTTPSetup(cfg.HTTPClient, cfg.Timeout)
	// The key set outlives this call: it fetches keys later with its own
	// context, so it gets one that is never cancelled; the client's
	// Timeout bounds each fetch.
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), h.client), orDefault(cfg.JWKSURL, googleJWKSURL))
	return &Google{
		goth:     p,
		endpoint: endpoint,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   orDefault(cfg.AuthURL, googleAuthURL),
				TokenURL:  orDefault(cfg.TokenURL, googleTokenURL),
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		verifier: oidc.NewVerifier(orDefault(cfg.Issuer, googleIssuer), keys, &oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
		http:     h,
	}, nil
}

// Name returns "google".
func (g *Google) Name() string { return "google" }

// AuthURL returns Google's authorization URL (goth's) with state, nonce and
// the S256 challenge of verifier.
func (g *Google) AuthURL(_ context.Context, state, nonce, verifier string) (string, error) {
	if state == "" || nonce == "" || verifier == "" {
		return "", errMissingFlowValue
	}
	return gothAuthURL(g.goth, state, g.endpoint, verifier, nonce)
}

// googleClaims are the ID token claims the portal reads.
type googleClaims struct {
	Sub           string    `json:"sub"`
	Email         string    `json:"email"`
	EmailVerified boolClaim `json:"email_verified"`
	Name          string    `json:"name"`
	Picture       string    `json:"picture"`
}

// boolClaim is a JSON boolean that also reads "true" and "false", as some
// of Google's older tokens wrote email_verified.
type boolClaim bool

func (b *boolClaim) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case `true`, `"true"`:
		*b = true
	case `false`, `"false"`, `null`:
		*b = false
	default:
		return errors.New("email_verified is neither true nor false")
	}
	return nil
}

// Finish exchanges code with verifier, verifies the ID token of the answer
// and that its nonce is nonce, and returns who it names. Any verification
// failure wraps providers.ErrInvalidCredentials.
func (g *Google) Finish(ctx context.Context, code, verifier, nonce string) (providers.Identity, error) {
	if code == "" || verifier == "" || nonce == "" {
		return providers.Identity{}, errMissingFlowValue
	}
	xctx, cancel := g.http.ctx(ctx)
	defer cancel()
	tok, err := g.oauth.Exchange(xctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return providers.Identity{}, exchangeError("google", err)
	}
	idt, e := verifyIDToken(xctx, "google", g.verifier, tok, nonce)
	if e != nil {
		return providers.Identity{}, e
	}
	var c googleClaims
	if err := idt.Claims(&c); err != nil || c.Sub == "" {
		return providers.Identity{}, &Error{Provider: "google", Step: "id_token", Kind: providers.ErrInvalidCredentials, Cause: errors.New("ID token has no usable sub")}
	}
	return providers.Identity{
		Provider:      "google",
		Subject:       c.Sub,
		Email:         c.Email,
		EmailVerified: bool(c.EmailVerified) && c.Email != "",
		DisplayName:   c.Name,
		AvatarURL:     c.Picture,
	}, nil
}

var _ json.Unmarshaler = (*boolClaim)(nil)
