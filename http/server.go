package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Config is the part of AuthPortal's configuration the web layer uses.
type Config struct {
	BaseURL        *url.URL // APP_BASE_URL
	CookieDomain   string   // SESSION_COOKIE_DOMAIN
	SecureCookies  bool     // https base URL or FORCE_SECURE_COOKIE
	HSTS           bool     // https base URL or FORCE_HSTS
	TrustedProxies []netip.Prefix
	SessionKey     []byte // SESSION_SECRET
	MFAEnabled     bool
	MFAEnforce     bool
	ExtraLinkURL   string
	ExtraLinkText  string
	RequestEmail   string // UNAUTH_REQUEST_EMAIL
	RequestSubject string // UNAUTH_REQUEST_SUBJECT
	Location       *time.Location
	Version        string
	BrandingDir    string // DATA_DIR/branding: the operator's logo, theme and home page texts
}

// Deps are the handlers and readers the web layer calls.
type Deps struct {
	Login          loginer
	Logout         logouter
	StartTOTP      totpStarter
	VerifyTOTP     totpVerifier
	AnswerMFA      challengeAnswerer
	Reader         headReader
	Access         accessModel
	Budgets        Budgets
	Providers      Providers        // outside sign-in; zero: local accounts only
	Sessions       sessionLister    // the account page; nil: no account page
	RevokeAll      sessionsRevoker  // "sign out everywhere"
	ChangePassword passwordChanger  // the account page's password form
	Link           identityLinker   // linking another provider's account from the account page
	Unlink         identityUnlinker // and unlinking one
	RenewCodes     codesRenewer     // new recovery codes from the account page
	Forward        forwardDecider   // forward auth (verify.go); nil: /api/auth/verify is not served
	ForwardAdmin   ForwardAdmin     // the admin API for protected hosts, users and permissions
	UserActions    UserActions      // the console's actions on a user: devices, admin flag, MFA reset
	Audit          auditReader      // the console's audit view of the log; nil: none
	Config         ConfigAPI        // the versioned configuration API; zero: not served
	Backups        BackupsAPI       // the backups API (needs Config); zero: not served
	Invites        Invites          // invites by email and link (admin_invites.go, page_invite.go); zero: none
	SMTPTest       smtpTestMailer   // the SMTP tab's test mail (admin_smtp_test_mail.go); nil: not served
	PasswordResets PasswordResets   // password reset by email (page_password_reset.go); zero: none
	OIDC           *OIDC            // the OpenID Connect provider; nil: off
	Health         Health
	Logger         *slog.Logger
	Now            func() time.Time
}

// Health answers the probes.
type Health interface {
	// Started reports whether start-up (migrations, access model load) is done.
	Started() bool
	// Ready returns nil when this node's database connection answers and its
	// own access model is close to the head: never a cluster-wide figure.
	Ready(ctx context.Context) error
}

// Server is the HTTP face of AuthPortal.
type Server struct {
	config    Config
	deps      Deps
	codec     sessionCodec
	jar       cookieJar
	device    deviceCodec
	pins      pinCodec
	branding  branding
	flows     flowCodec    // upstream sign-in flow cookies
	pending   pendingCodec // OIDC authorization requests waiting on the consent page
	providers Providers
	pages     *pages
	api       huma.API // what is registered: the console shows a tab for each API present
	handler   http.Handler
}

// New builds the server's handler.
func New(config Config, deps Deps) (*Server, error) {
	if config.BaseURL == nil || len(config.SessionKey) < 32 || deps.Login == nil || deps.Logout == nil || deps.StartTOTP == nil ||
		deps.VerifyTOTP == nil || deps.AnswerMFA == nil || deps.Access == nil || deps.Reader == nil || deps.Budgets == nil ||
		deps.Logger == nil || deps.Now == nil || deps.Health == nil {
		return nil, errors.New("http: incomplete configuration")
	}
	if config.Location == nil {
		config.Location = time.UTC
	}
	pg, err := newPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		config:    config,
		deps:      deps,
		codec:     newSessionCodec(config.SessionKey, config.BaseURL.String(), deps.Now),
		jar:       cookieJar{domain: config.CookieDomain, secure: config.SecureCookies},
		device:    newDeviceCodec(config.SessionKey),
		pins:      newPINCodec(config.SessionKey),
		branding:  branding{dir: config.BrandingDir},
		flows:     newFlowCodec(config.SessionKey),
		pending:   newPendingCodec(config.SessionKey),
		providers: deps.Providers,
		pages:     pg,
	}

	mux := http.NewServeMux()
	hc := huma.DefaultConfig("AuthPortal", config.Version)
	hc.CreateHooks = nil // no $schema member or Link header built from client-controlled headers
	hc.DocsPath = ""     // the default UI loads from a CDN; /docs is served from embedded assets
	hc.Info.Description = "Sign-in, sessions and MFA for a self-hosted identity portal."
	hc.Transformers = append(hc.Transformers, publicErrors) // no submitted value in any error (api_errors.go)
	api := humago.New(mux, hc)
	s.api = api
	s.registerAPI(api)
	s.registerAdminAPI(api)
	if len(deps.Providers.Enabled) > 0 && deps.Providers.SignIn != nil {
		registerAuthOperations(api, s)
	}
	s.registerPages(mux)
	s.registerOIDC(mux)
	s.registerHealth(mux)

	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(origin(config.BaseURL)); err != nil {
		return nil, err
	}
	if deps.OIDC != nil {
		for _, pattern := range oidcBypassCSRF {
			csrf.AddInsecureBypassPattern(pattern)
		}
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problemCrossOrigin, "Cross-origin requests cannot change anything here.")
	}))

	// Outermost first: request id and client IP, security headers, rate
	// limits, same-origin check, session.
	var h http.Handler = mux
	h = s.withSession(h)
	h = csrf.Handler(h)
	h = s.withRateLimit(h)
	h = withSecurityHeaders(config.HSTS, h)
	h = withRetryAfter(h)
	h = withDeadline(h)
	h = withRequestMeta(config.TrustedProxies, h)
	h = s.withVerify(h) // before everything: the one path every proxied request takes (verify.go)
	s.handler = h
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }
