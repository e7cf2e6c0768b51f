package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/providers/local"
	"github.com/authportal/authportal/queries"
	"github.com/authportal/authportal/throttle"
	"github.com/authportal/authportal/workers"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Session lifetimes the configuration does not set.
const (
	restrictedSessionTTL = 5 * time.Minute  // an unauthorized user's session
	pendingSessionTTL    = 10 * time.Minute // time to answer a challenge or enroll
	readyMaxLag          = 1000             // events this node's access model may trail the head and still be ready
)

// app is everything serve wires together.
type app struct {
	config   Config
	logger   *slog.Logger
	db       *database
	store    *eventstore.Store
	reader   *queries.Reader
	access   *projections.Access
	budgets  *throttle.Buckets
	handlers handlers
	signIn   apihttp.Providers // outside sign-in providers
	recheck  workers.MediaAccessRecheck
	invites  apihttp.Invites
	mailer   *workers.InviteMailer
	smtpTest workers.TestMailer // the console's test mail (mail_wiring.go)
	resets   apihttp.PasswordResets
	oidc     *apihttp.OIDC     // the OpenID Connect provider (oidc_wiring.go)
	keys     *commands.KeyRing // its signing keys
	now      func() time.Time
	started  atomic.Bool

	runtime runtimeConfig // versioned configuration and backups (serve_config.go)
	// externalSignIn and checkers rebuild signIn and the re-check's
	// servers when the providers section changes (providers_live.go).
	externalSignIn commands.SignInExternalHandler
	checkers       *liveCheckers
}

type handlers struct {
	register          commands.RegisterUserHandler
	login             commands.LoginHandler
	logout            commands.LogoutHandler
	startTOTP         commands.StartTOTPEnrollmentHandler
	verifyTOTP        commands.VerifyTOTPEnrollmentHandler
	answerMFA         commands.AnswerMFAChallengeHandler
	changeOwnPassword commands.ChangeOwnPasswordHandler
	link              commands.LinkIdentityHandler
	renewCodes        commands.RenewRecoveryCodesHandler
	setAdmin          commands.SetAdminHandler
}

func newID() string { return rand.Text() }

// newApp opens the database and builds the command handlers, reading the
// time from now.
func newApp(ctx context.Context, c Config, logger *slog.Logger, now func() time.Time) (*app, error) {
	if err := ensureSecrets(&c, logger); err != nil {
		return nil, err
	}
	db, err := openDatabase(ctx, c, logger)
	if err != nil {
		return nil, err
	}
	a := &app{config: c, logger: logger, db: db, reader: queries.NewReader(db.pool), access: projections.NewAccess()}
	a.access.SetForwardDefault(c.ForwardAuthDefaultAllow)
	a.store = eventstore.New(db.pool, domain.Events(), logger)
	// argon2id holds 19 MiB per hash: this many at once bounds that memory.
	hasher, err := local.NewHasher(local.OWASP, max(2, runtime.GOMAXPROCS(0)))
	if err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	sealer, err := commands.NewSealer(c.DataKey)
	if err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	budgets, err := throttle.New(db.pool, c.SessionSecret, logger)
	if err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	a.budgets = budgets
	if a.runtime, err = newRuntimeConfig(c, a.store, sealer, now, logger); err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	policy := livePolicy{config: a.runtime.model, base: domain.SessionPolicy{
		MFAEnabled: c.MFAEnable, MFAEnforce: c.MFAEnforce,
		FullTTL: c.SessionTTL, RestrictedTTL: restrictedSessionTTL, PendingTTL: pendingSessionTTL,
	}}
	a.now = now
	var checkers map[string]workers.AccessChecker
	a.externalSignIn = commands.NewSignInExternalHandler(a.store, budgets, sealer, newID, now, logger, policy)
	a.signIn, checkers, err = signInProviders(c, a.externalSignIn, logger)
	if err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	a.checkers = &liveCheckers{checkers: checkers}
	a.recheck = workers.NewMediaAccessRecheck(db.pool, a.reader, sealer, commands.NewRecheckMediaAccessHandler(a.store), a.checkers.forwarders(), logger)
	a.handlers = handlers{
		register:          commands.NewRegisterUserHandler(a.store, hasher, sealer, newID),
		login:             commands.NewLoginHandler(a.store, hasher, budgets, sealer, newID, now, logger, policy, c.AdminBootstrapUsers),
		logout:            commands.NewLogoutHandler(a.store),
		startTOTP:         commands.NewStartTOTPEnrollmentHandler(a.store, sealer, hasher, budgets, now, policy.issuer(c.MFAIssuer)),
		verifyTOTP:        commands.NewVerifyTOTPEnrollmentHandler(a.store, sealer, budgets, newID, now, policy),
		answerMFA:         commands.NewAnswerMFAChallengeHandler(a.store, sealer, budgets, newID, now, policy),
		changeOwnPassword: commands.NewChangeOwnPasswordHandler(a.store, hasher, sealer, budgets, newID, now, policy),
		link:              commands.NewLinkIdentityHandler(a.store, budgets, sealer, now, logger),
		renewCodes:        commands.NewRenewRecoveryCodesHandler(a.store, sealer, hasher, budgets, now),
		setAdmin:          commands.NewSetAdminHandler(a.store),
	}
	if err := a.wireInvites(c, hasher, sealer, policy); err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	a.wireMailTools(c, hasher, sealer)
	a.wireOIDC(sealer)
	return a, nil
}

func (a *app) close(ctx context.Context) error { return a.db.close(ctx) }

// Started implements http.Health.
func (a *app) Started() bool { return a.started.Load() }

// Ready implements http.Health, for this node alone: its database
// connection answers and its own access model (what every session check
// reads) is within readyMaxLag events of the head. Projection checkpoints
// are shared by every node, so a lag there would take all nodes out of the
// load balancer at once while each serves fine from its own model: that is
// for `authportal projections status` and the logs, not readiness.
func (a *app) Ready(ctx context.Context) error {
	head, err := a.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if lag := head - a.access.Position(); lag > readyMaxLag {
		return fmt.Errorf("access model is %d events behind the log", lag)
	}
	return nil
}

// sweepBudgets deletes the rate-limit buckets that are full again, once a
// minute, so that a flood of distinct names or addresses leaves nothing
// behind. Every node sweeps; a sweep is one idempotent DELETE.
func (a *app) sweepBudgets(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.budgets.Sweep(ctx, a.now()); err != nil && ctx.Err() == nil {
				a.logger.Warn("sweep rate-limit buckets", "err", err)
			}
		}
	}
}

func projectionNames() []string {
	var names []string
	for _, p := range projections.All() {
		names = append(names, p.Name())
	}
	return names
}

// serve runs the server until ctx ends, then shuts down gracefully:
// in-flight requests finish (each append is one transaction, so none is
// left half-written), consumers stop, the embedded cluster stops last.
func serve(ctx context.Context, c Config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", c.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	return serveOn(ctx, c, logger, ln, time.Now)
}

// serveOn is serve on a given listener and clock.
func serveOn(ctx context.Context, c Config, logger *slog.Logger, ln net.Listener, now func() time.Time) error {
	defer ln.Close()
	a, err := newApp(ctx, c, logger, now)
	if err != nil {
		return err
	}
	c = a.config // with the secrets filled in
	defer func() {
		if err := a.close(ctx); err != nil {
			logger.Error("stop database", "err", err)
		}
	}()
	// Only a server records and checks its keys: a CLI command (a migrate in
	// an init container, say) needs none, and must not record ones it
	// generated for itself before the servers start.
	if err := checkKeys(ctx, a.db.pool, map[string][]byte{"SESSION_SECRET": c.SessionSecret, "DATA_KEY": c.DataKey}); err != nil {
		return err
	}

	if err := a.runtime.start(ctx, c, a.store, logger); err != nil {
		return err
	}
	if err := a.useProvidersSection(); err != nil {
		return err
	}
	if err := a.access.Load(ctx, a.db.pool, now()); err != nil {
		return err
	}
	if err := a.ensureSigningKey(ctx); err != nil {
		return err
	}
	runner, err := projections.NewRunner(projections.RunnerConfig{
		Pool: a.db.pool, Store: a.store, Logger: logger, Projections: projections.All(),
	})
	if err != nil {
		return err
	}
	web, err := apihttp.New(apihttp.Config{
		BaseURL: c.BaseURL, CookieDomain: c.SessionCookieDomain, SecureCookies: c.SecureCookies(), HSTS: c.HSTS(),
		TrustedProxies: c.TrustedProxies, SessionKey: c.SessionSecret, MFAEnabled: c.MFAEnable, MFAEnforce: c.MFAEnforce,
		ExtraLinkURL: c.LoginExtraLinkURL, ExtraLinkText: c.LoginExtraLinkText,
		RequestEmail: c.UnauthRequestEmail, RequestSubject: c.UnauthRequestSubj, Location: c.Location, Version: version,
		BrandingDir: filepath.Join(c.DataDir, "branding"),
	}, apihttp.Deps{
		Login: a.handlers.login, Logout: a.handlers.logout, StartTOTP: a.handlers.startTOTP,
		VerifyTOTP: a.handlers.verifyTOTP, AnswerMFA: a.handlers.answerMFA,
		Reader: a.reader, Access: a.access, Budgets: a.budgets, Providers: a.signIn, Sessions: a.reader,
		RevokeAll: commands.NewRevokeSessionsHandler(a.store), ChangePassword: a.handlers.changeOwnPassword,
		Link: a.handlers.link, Unlink: commands.NewUnlinkIdentityHandler(a.store),
		RenewCodes: a.handlers.renewCodes, Invites: a.invites, Health: a, Logger: logger, Now: now,
		SMTPTest: a.smtpTest, PasswordResets: a.resets,
		Forward: a.access, // GET /api/auth/verify and sign-in return targets
		ForwardAdmin: apihttp.ForwardAdmin{
			Hosts: commands.NewHostsHandler(a.store, newID), Permissions: commands.NewSetPermissionsHandler(a.store),
			Disabled: commands.NewSetDisabledHandler(a.store), Reader: a.reader, Model: a.access,
		},
		UserActions: apihttp.UserActions{
			SetAdmin: a.handlers.setAdmin, ResetMFA: commands.NewResetMFAHandler(a.store), RevokeSessions: commands.NewRevokeSessionsHandler(a.store),
		},
		Audit:  a.reader,
		Config: a.runtime.api, Backups: a.runtime.backups,
		OIDC: a.oidc,
	})
	if err != nil {
		return err
	}

	consumers, stopConsumers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.store.Listen(consumers) })
	wg.Go(func() { runner.Run(consumers) })
	wg.Go(func() { a.sweepBudgets(consumers) })
	wg.Go(func() { a.recheck.Run(consumers, c.Providers.RecheckEvery) })
	wg.Go(func() { a.runtime.run(consumers, a.store, logger) })
	live := newWebHolder(web)
	wg.Go(func() { a.followSections(consumers, live, logger) })
	wg.Go(func() { a.mailer.Run(consumers) })
	wg.Go(func() {
		if err := a.access.Follow(consumers, a.store, logger); err != nil && consumers.Err() == nil {
			logger.Error("access model stopped", "err", err)
		}
	})
	defer func() {
		stopConsumers()
		wg.Wait()
	}()

	srv := &nethttp.Server{
		Handler:           live,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	a.started.Store(true)
	startBanner(ctx, logger, a.db.pool, c, ln.Addr(), a.db.cluster != nil)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, nethttp.ErrServerClosed) {
		return err
	}
	return nil
}
