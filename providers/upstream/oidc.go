package upstream

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig configures [NewOIDC].
type OIDCConfig struct {
	// Name goes in Identity.Provider; default "oidc". Give each configured
	// upstream its own name, since Subjects are only unique per issuer.
	Name string
	// Issuer is required: its discovery document is read from
	// Issuer + "/.well-known/openid-configuration", and its "issuer"
	// member must equal Issuer exactly.
	Issuer       string
	ClientID     string // required
	ClientSecret string // required
	RedirectURL  string // required: the portal's callback, as registered at the issuer
	// Scopes default to "openid", "email" and "profile"; "openid" is
	// always added.
	Scopes []string
	// HTTPClient is copied; nil means a fresh client. Its Timeout, when
	// zero, becomes Timeout.
	HTTPClient *http.Client
	// Timeout bounds each outside call; zero means DefaultTimeout.
	Timeout time.Duration
	// RetryAfter is the least time between two discovery attempts after
	// one failed, so a down issuer is not hit by every sign-in; zero means
	// 5 seconds.
	RetryAfter time.Duration
	// Now is the clock for ID token expiry and RetryAfter; nil means
	// time.Now. Tests set it.
	Now func() time.Time
}

// Validate reports every missing field at once.
func (c OIDCConfig) Validate() error {
	return required("oidc", "Issuer", c.Issuer, "ClientID", c.ClientID, "ClientSecret", c.ClientSecret, "RedirectURL", c.RedirectURL)
}

// OIDC signs users in through a generic OpenID Connect provider:
// authorization code flow with PKCE (S256) and a nonce, and an ID token
// verified for signature (keys from the issuer's JWKS), issuer, audience,
// expiry and nonce. Profile claims the ID token lacks are read from the
// userinfo endpoint when the issuer has one, and used only when its "sub"
// equals the ID token's.
//
// Discovery happens on first use, not in [NewOIDC], so a down issuer does not
// stop the portal; a failed discovery is retried on a later call (at most
// once per RetryAfter), and until then calls fail with
// providers.ErrUnavailable.
type OIDC struct {
	cfg  OIDCConfig
	name string
	http httpSetup

	mu       sync.Mutex
	disc     *discovered // nil until discovery succeeded
	failedAt time.Time   // last failed discovery
	lastErr  *Error
}

type discovered struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	hasUI    bool // the issuer names a userinfo endpoint
}

var _ Upstream = (*OIDC)(nil)

// NewOIDC returns a generic OIDC upstream, or the Validate error. It makes
// no outside call.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	} else if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &OIDC{
		cfg:  cfg,
		name: orDefault(cfg.Name, "oidc"),
		http: newHTTPSetup(cfg.HTTPClient, cfg.Timeout),
	}, nil
}

// Name returns the configured name, "oidc" by default.
func (o *OIDC) Name() string { return o.name }

// discover returns the discovered issuer, discovering it first when needed.
// One discovery runs at a time; callers during it wait for its outcome.
func (o *OIDC) discover(ctx context.Context) (*discovered, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.disc != nil {
		return o.disc, nil
	}
	if o.lastErr != nil && o.cfg.Now().Sub(o.failedAt) < o.cfg.RetryAfter {
		return nil, o.lastErr
	}
	// A caller that gives up must not mark the issuer down for everyone:
	// discovery is bounded by the timeout only.
	d, err := o.fetchDiscovery(context.WithoutCancel(ctx))
	if err != nil {
		o.lastErr, o.failedAt = err, o.cfg.Now()
		return nil, err
	}
	o.disc, o.lastErr = d, nil
	return d, nil
}

func (o *OIDC) fetchDiscovery(ctx context.Context) (*discovered, *Error) {
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.http.client), o.http.timeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, o.cfg.Issuer)
	if err != nil {
		return nil, &Error{Provider: o.name, Step: "discovery", Kind: providers.ErrUnavailable, Cause: transportCause(err)}
	}
	var meta struct {
		JWKSURL     string `json:"jwks_uri"`
		UserinfoURL string `json:"userinfo_endpoint"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURL == "" {
		return nil, &Error{Provider: o.name, Step: "discovery", Kind: providers.ErrUnavailable, Cause: errors.New("no jwks_uri in discovery document")}
	}
	// The key set outlives this call: it fetches keys later with its own
	// context, so it gets one that is never cancelled; the client's
	// Timeout bounds each fetch.
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), o.http.client), meta.JWKSURL)
	return &discovered{
		provider: p,
		verifier: oidc.NewVerifier(o.cfg.Issuer, keys, &oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now}),
		oauth: oauth2.Config{
			ClientID:     o.cfg.ClientID,
			ClientSecret: o.cfg.ClientSecret,
			RedirectURL:  o.cfg.RedirectURL,
			Scopes:       o.cfg.Scopes,
			Endpoint:     p.Endpoint(),
		},
		hasUI: meta.UserinfoURL != "",
	}, nil
}

// AuthURL returns the issuer's authorization URL with state, nonce and the
// S256 challenge of verifier. It discovers the issuer on first use.
func (o *OIDC) AuthURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	if state == "" || nonce == "" || verifier == "" {
		return "", errMissingFlowValue
	}
	d, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	return d.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

type oidcClaims struct {
	Sub               string `json:"sub"`
	Email             string `json:"email"`
	EmailVerified     *bool  `json:"email_verified"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	Picture           string `json:"picture"`
}

// Finish exchanges code with verifier, verifies the ID token (signature,
// issuer, audience, expiry) and that its nonce equals nonce, and returns the
// Identity. Any verification failure wraps providers.ErrInvalidCredentials.
func (o *OIDC) Finish(ctx context.Context, code, verifier, nonce string) (providers.Identity, error) {
	if code == "" || verifier == "" || nonce == "" {
		return providers.Identity{}, errMissingFlowValue
	}
	d, err := o.discover(ctx)
	if err != nil {
		return providers.Identity{}, err
	}
	xctx, cancel := o.http.ctx(oidc.ClientContext(ctx, o.http.client))
	defer cancel()
	tok, err := d.oauth.Exchange(xctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return providers.Identity{}, exchangeError(o.name, err)
	}
	idt, e := verifyIDToken(xctx, o.name, d.verifier, tok, nonce)
	if e != nil {
		return providers.Identity{}, e
	}
	var c oidcClaims
	if err := idt.Claims(&c); err != nil || c.Sub == "" {
		return providers.Identity{}, &Error{Provider: o.name, Step: "id_token", Kind: providers.ErrInvalidCredentials, Cause: errors.New("ID token has no usable sub")}
	}
	if d.hasUI {
		if err := o.mergeUserinfo(xctx, d, tok, &c); err != nil {
			return providers.Identity{}, err
		}
	}
	return providers.Identity{
		Provider:      o.name,
		Subject:       c.Sub,
		Username:      c.PreferredUsername,
		Email:         c.Email,
		EmailVerified: c.Email != "" && c.EmailVerified != nil && *c.EmailVerified,
		DisplayName:   c.Name,
		AvatarURL:     c.Picture,
	}, nil
}

// mergeUserinfo fills the claims the ID token left empty from the userinfo
// endpoint. A userinfo answer for another subject is refused.
func (o *OIDC) mergeUserinfo(ctx context.Context, d *discovered, tok *oauth2.Token, c *oidcClaims) error {
	ui, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return &Error{Provider: o.name, Step: "userinfo", Kind: providers.ErrUnavailable, Cause: transportCause(err)}
	}
	var u oidcClaims
	if err := ui.Claims(&u); err != nil {
		return &Error{Provider: o.name, Step: "userinfo", Kind: providers.ErrUnavailable, Cause: err}
	}
	if u.Sub != c.Sub {
		return &Error{Provider: o.name, Step: "userinfo", Kind: providers.ErrInvalidCredentials, Cause: errors.New("userinfo sub differs from ID token sub")}
	}
	if c.Email == "" && u.Email != "" {
		c.Email, c.EmailVerified = u.Email, u.EmailVerified
	}
	c.PreferredUsername = orDefault(c.PreferredUsername, u.PreferredUsername)
	c.Name = orDefault(c.Name, u.Name)
	c.Picture = orDefault(c.Picture, u.Picture)
	return nil
}
