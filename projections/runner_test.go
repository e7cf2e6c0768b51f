package projections_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/local"
	"github.com/authportal/authportal/providers/totp"
	"github.com/authportal/authportal/throttle"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var discard = slog.New(slog.DiscardHandler)

// start is the fixed clock every scenario begins at.
var start = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// world drives AuthPortal's own command handlers against a real log, as
// the web layer and the CLI do: what the projections read is what the
// product writes, not a copy of its decisions.
type world struct {
	t       testing.TB
	store   *eventstore.Store
	now     time.Time
	rng     *rand.Rand
	seq     int
	users   []string           // ids, in sign-up order
	players map[string]*player // by id
	hosts   []string           // protected hosts' ids (forward_world_test.go)
	cmd     handlers
}

// handlers are the product's command handlers, as serve wires them.
type handlers struct {
	register   commands.RegisterUserHandler
	login      commands.LoginHandler
	logout     commands.LogoutHandler
	setAdmin   commands.SetAdminHandler
	startTOTP  commands.StartTOTPEnrollmentHandler
	verifyTOTP commands.VerifyTOTPEnrollmentHandler
	answer     commands.AnswerMFAChallengeHandler
	revoke     commands.RevokeSessionsHandler
	resetMFA   commands.ResetMFAHandler
	external   commands.SignInExternalHandler
	renewCodes commands.RenewRecoveryCodesHandler
	link       commands.LinkIdentityHandler
	unlink     commands.UnlinkIdentityHandler
	invites    inviteHandlers
	clients    commands.ClientsHandler
	grants     commands.GrantsHandler
}

// unlimited is a rate-limit budget that never runs out: these scenarios
// are about what is logged, and a limit would only cut them short.
type unlimited struct{}

func (unlimited) Take(context.Context, string, string, throttle.Limit, time.Time) (throttle.Decision, error) {
	return throttle.Decision{Allowed: true}, nil
}
func (unlimited) Refund(context.Context, string, string, throttle.Limit) {}

// player is what a user knows: their credentials and the sessions they hold.
type player struct {
	username, password string
	admin              bool
	secret             string   // TOTP secret once enrolled
	recovery           []string // recovery codes shown at enrollment
	sessions           []string // full sessions started
}

func newWorld(t testing.TB, store *eventstore.Store) *world {
	w := &world{t: t, store: store, now: start, rng: rand.New(rand.NewPCG(1, 2)), players: map[string]*player{}}
	// A real argon2id hasher with the cheapest parameters: the projections
	// care what is logged, not how long a hash takes.
	hasher, err := local.NewHasher(local.Params{Memory: 64, Time: 1, Threads: 1}, 4)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := commands.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return w.now }
	newID := func() string {
		w.seq++
		return fmt.Sprintf("01JPD%021d", w.seq)
	}
	policy := domain.SessionPolicy{MFAEnabled: true, FullTTL: 12 * time.Hour, RestrictedTTL: time.Hour, PendingTTL: 5 * time.Minute}
	w.cmd = handlers{
		register:   commands.NewRegisterUserHandler(store, hasher, sealer, newID),
		login:      commands.NewLoginHandler(store, hasher, unlimited{}, sealer, newID, clock, discard, policy, nil),
		logout:     commands.NewLogoutHandler(store),
		setAdmin:   commands.NewSetAdminHandler(store),
		startTOTP:  commands.NewStartTOTPEnrollmentHandler(store, sealer, hasher, unlimited{}, clock, func() string { return "AuthPortal test" }),
		verifyTOTP: commands.NewVerifyTOTPEnrollmentHandler(store, sealer, unlimited{}, newID, clock, policy),
		answer:     commands.NewAnswerMFAChallengeHandler(store, sealer, unlimited{}, newID, clock, policy),
		revoke:     commands.NewRevokeSessionsHandler(store),
		resetMFA:   commands.NewResetMFAHandler(store),
		external:   commands.NewSignInExternalHandler(store, unlimited{}, sealer, newID, clock, discard, policy),
		link:       commands.NewLinkIdentityHandler(store, unlimited{}, sealer, clock, discard),
		renewCodes: commands.NewRenewRecoveryCodesHandler(store, sealer, hasher, unlimited{}, clock),
		unlink:     commands.NewUnlinkIdentityHandler(store),
		invites:    newInviteHandlers(store, sealer, hasher, newID, clock, policy),
		clients:    commands.NewClientsHandler(store, newID),
		grants:     commands.NewGrantsHandler(store, clock),
	}
	return w
}

// toggleLink links a Plex account of the user's own to a local user, or
// unlinks it when it is linked.
func (w *world) toggleLink(id string) {
	w.t.Helper()
	u, _ := w.user(id)
	if _, linked := u.Identities["plex"]; linked {
		_, err := w.cmd.unlink.Handle(w.t.Context(), commands.UnlinkIdentity{UserID: id, Provider: "plex", Meta: w.meta(id)})
		w.must("unlink", err)
		return
	}
	_, err := w.cmd.link.Handle(w.t.Context(), commands.LinkIdentity{UserID: id, SignIn: commands.SignInExternal{Provider: "plex", Meta: w.meta(id),
		Authenticate: func(context.Context) (providers.Identity, error) {
			return providers.Identity{Provider: "plex", Subject: "linked-" + id, Username: "plex-" + id, Access: true, Reason: "server_visible", Token: "t-" + id}, nil
		}}})
	w.must("link", err)
}

// mediaSignIn signs in with one of a few Plex accounts, whose server shares
// with them or stops sharing at random, and whose token changes now and then.
func (w *world) mediaSignIn() {
	w.t.Helper()
	w.mediaSignInAs(w.rng.IntN(3), w.rng.IntN(3) != 0, w.rng.IntN(2))
}

// mediaSignInAs signs in with Plex account n, which the server shares with
// or not, bringing its token number token.
func (w *world) mediaSignInAs(n int, access bool, token int) {
	w.t.Helper()
	reason := "not_shared"
	if access {
		reason = "server_visible"
	}
	_, err := w.cmd.external.Handle(w.t.Context(), commands.SignInExternal{Provider: "plex", Meta: w.meta(""),
		Authenticate: func(context.Context) (providers.Identity, error) {
			return providers.Identity{Provider: "plex", Subject: fmt.Sprint(1000 + n), Username: fmt.Sprintf("plex-friend-%d", n),
				Access: access, Reason: reason, Token: fmt.Sprintf("plex-token-%d-%d", n, token)}, nil
		}})
	w.must("media sign-in", err)
}

// meta is the metadata of the next request, from a different address each
// time, a minute after the last (so every TOTP code is from a new step).
func (w *world) meta(actor string) domain.Metadata {
	w.seq++
	w.now = w.now.Add(time.Minute)
	kind := domain.ActorUser
	if actor == "" {
		actor, kind = "anonymous", domain.ActorAnonymous
	}
	return domain.Metadata{
		Actor: actor, ActorKind: kind,
		ClientIP: fmt.Sprintf("198.51.100.%d", w.seq%250), UserAgent: fmt.Sprintf("Mozilla/5.0 test-agent/%d", w.seq%7),
		RequestID: fmt.Sprintf("req-%06d", w.seq), CorrelationID: fmt.Sprintf("corr-%06d", w.seq),
	}
}

// must fails the test on an error the scenario did not expect.
func (w *world) must(what string, err error, expected ...error) {
	w.t.Helper()
	if err == nil {
		return
	}
	for _, e := range expected {
		if errors.Is(err, e) {
			return
		}
	}
	w.t.Fatalf("%s: %v", what, err)
}

// register registers a new user, an admin when admin, and returns the id.
func (w *world) register(admin bool) string {
	w.t.Helper()
	n := len(w.users)
	p := &player{username: fmt.Sprintf("User.%03d", n), password: fmt.Sprintf("password-%03d", n), admin: admin}
	res, err := w.cmd.register.Handle(w.t.Context(), commands.RegisterUser{
		Username: p.username, Email: fmt.Sprintf("user%03d@example.com", n), Password: p.password,
		Admin: admin, AccessGranted: n%3 != 0, Meta: w.meta(""),
	})
	w.must("register", err)
	w.users = append(w.users, res.UserID)
	w.players[res.UserID] = p
	return res.UserID
}

// signIn passes a user's first factor. It returns the session: full, or
// pending a challenge when the user has TOTP.
func (w *world) signIn(id string) domain.SessionStarted {
	w.t.Helper()
	s := w.session(id)
	if s.Kind == domain.SessionFull {
		p := w.players[id]
		p.sessions = append(p.sessions, s.SessionID)
	}
	return s
}

// session is signIn without keeping the session among those logout picks
// from: a test that logs a user out expects the session it signed in with.
func (w *world) session(id string) domain.SessionStarted {
	w.t.Helper()
	p := w.players[id]
	res, err := w.cmd.login.Handle(w.t.Context(), commands.Login{Username: p.username, Password: p.password, Meta: w.meta("")})
	w.must("login", err)
	return res.Session
}

// login signs a user in and returns the session id.
func (w *world) login(id string) string {
	w.t.Helper()
	return w.signIn(id).SessionID
}

// loginFailed tries a wrong password, or a name nobody has.
func (w *world) loginFailed(id string) {
	w.t.Helper()
	name := w.players[id].username
	if w.rng.IntN(4) == 0 {
		name = "nobody-" + name
	}
	_, err := w.cmd.login.Handle(w.t.Context(), commands.Login{Username: name, Password: "wrong password", Meta: w.meta("")})
	if !errors.Is(err, commands.ErrInvalidCredentials) {
		w.t.Fatalf("login with a wrong password: %v, want ErrInvalidCredentials", err)
	}
}

// logout ends one of the user's sessions (ending one already ended or
// revoked appends nothing).
func (w *world) logout(id string) {
	w.t.Helper()
	p := w.players[id]
	if len(p.sessions) == 0 {
		return
	}
	sid := p.sessions[w.rng.IntN(len(p.sessions))]
	_, err := w.cmd.logout.Handle(w.t.Context(), commands.Logout{SessionID: sid, Meta: w.meta(id)})
	w.must("logout", err)
}

// setAdmin grants or revokes admin; a change revokes the user's sessions.
func (w *world) setAdmin(id string, admin bool) {
	w.t.Helper()
	if w.players[id].admin != admin {
		w.toggleAdmin(id)
	}
}

// revokeSessions revokes every session of the user.
func (w *world) revokeSessions(id string) {
	w.t.Helper()
	_, err := w.cmd.revoke.Handle(w.t.Context(), commands.RevokeSessions{UserID: id, Meta: w.meta(id)})
	w.must("revoke sessions", err)
}

// resetMFA takes the user's authenticator away, as an operator does.
func (w *world) resetMFA(id string) {
	w.t.Helper()
	_, err := w.cmd.resetMFA.Handle(w.t.Context(), commands.ResetMFA{UserID: id, Reason: "cli", Meta: w.meta("cli")})
	w.must("reset mfa", err)
	p := w.players[id]
	p.secret, p.recovery = "", nil
}

// user folds a user's stream, to compare what the read models hold with it.
func (w *world) user(id string) (domain.User, int64) {
	w.t.Helper()
	events, version, err := w.store.Load(w.t.Context(), domain.UserStream(id))
	if err != nil {
		w.t.Fatal(err)
	}
	return domain.FoldUser(events), version
}

// toggleAdmin grants or revokes admin, which revokes the user's sessions.
func (w *world) toggleAdmin(id string) {
	w.t.Helper()
	p := w.players[id]
	p.admin = !p.admin
	_, err := w.cmd.setAdmin.Handle(w.t.Context(), commands.SetAdmin{UserID: id, Admin: p.admin, Reason: "console", Meta: w.meta("admin")})
	w.must("set admin", err)
}

// enroll signs in and starts TOTP enrollment; when verify, turns it on with
// a code from the new secret.
func (w *world) enroll(id string, verify bool) {
	w.t.Helper()
	p := w.players[id]
	if p.secret != "" {
		return
	}
	s := w.session(id)
	started, err := w.cmd.startTOTP.Handle(w.t.Context(), commands.StartTOTPEnrollment{SessionID: s.SessionID, Meta: w.meta(id)})
	w.must("start totp enrollment", err)
	if !verify {
		return
	}
	meta := w.meta(id)
	code, err := totp.Code(started.Secret, w.now)
	w.must("totp code", err)
	res, err := w.cmd.verifyTOTP.Handle(w.t.Context(), commands.VerifyTOTPEnrollment{SessionID: s.SessionID, Code: code, Meta: meta})
	w.must("verify totp enrollment", err)
	p.secret, p.recovery = started.Secret, res.RecoveryCodes
	// Enabling TOTP rotated the session; the new one renews the codes at once.
	{
		renewed, err := w.cmd.renewCodes.Handle(w.t.Context(), commands.RenewRecoveryCodes{SessionID: res.Session.SessionID,
			Password: p.password, Meta: w.meta(id)})
		w.must("renew recovery codes", err)
		p.recovery = renewed.RecoveryCodes
	}
}

// secondFactor signs in a user with TOTP and answers the challenge: a TOTP
// code, a recovery code (perhaps one spent already) or a wrong code, at random.
func (w *world) secondFactor(id string) {
	w.t.Helper()
	w.answerChallenge(id, w.rng.IntN(3))
}

// answerChallenge signs a user with TOTP in and answers the challenge with
// a TOTP code (how 0), a recovery code (1) or a wrong code (2).
func (w *world) answerChallenge(id string, how int) {
	w.t.Helper()
	p := w.players[id]
	if p.secret == "" {
		return
	}
	s := w.signIn(id)
	if s.Kind != domain.SessionMFAChallenge {
		w.t.Fatalf("login of a user with TOTP started a %s session, want a challenge", s.Kind)
	}
	meta := w.meta(id)
	var code string
	switch how {
	case 0:
		c, err := totp.Code(p.secret, w.now)
		w.must("totp code", err)
		code = c
	case 1:
		code = p.recovery[w.rng.IntN(len(p.recovery))]
	default:
		code = "000000" // one chance in a million of being right, which is also fine
	}
	res, err := w.cmd.answer.Handle(w.t.Context(), commands.AnswerMFAChallenge{SessionID: s.SessionID, Code: code, Meta: meta})
	w.must("answer mfa challenge", err, domain.ErrCodeInvalid)
	if err == nil {
		p.sessions = append(p.sessions, res.Session.SessionID)
	}
}

// run does random actions until the log holds at least n events.
func (w *world) run(n int64) {
	w.t.Helper()
	if len(w.users) == 0 {
		for i := range 4 {
			w.register(i == 0)
		}
		// The rarer outside-account events at least once, whatever the
		// dice say below: shared then unshared, linked then unlinked.
		w.mediaSignInAs(0, true, 0)
		w.mediaSignInAs(0, false, 1)
		w.toggleLink(w.users[1])
		w.toggleLink(w.users[1])
		w.enroll(w.users[2], true)
		w.answerChallenge(w.users[2], 1)
		for _, r := range []int{0, 0, 1, 2, 3, 4} { // each forward-auth change once, leaving a host
			w.forwardAction(w.users[3], r)
		}
		w.invites()
		w.oauth(w.users[0])
	}
	for head(w.t, w.store) < n {
		id := w.users[w.rng.IntN(len(w.users))]
		switch r := w.rng.IntN(100); {
		case r < 8:
			w.register(r < 2)
		case r < 35:
			w.signIn(id)
		case r < 45:
			w.logout(id)
		case r < 50:
			w.loginFailed(id)
		case r < 57:
			w.toggleAdmin(id)
		case r < 59:
			w.revokeSessions(id)
		case r < 60:
			w.resetMFA(id)
		case r < 63:
			w.mediaSignIn()
		case r < 65:
			w.toggleLink(id)
		case r < 72:
			w.enroll(id, r < 69)
		case r < 95:
			w.secondFactor(id)
		default:
			w.forwardChange(id)
		}
	}
}

// oauth registers, changes and deletes OAuth clients and runs a user's
// grant through a code, a refresh and a reuse of the spent refresh token.
func (w *world) oauth(id string) {
	w.t.Helper()
	ctx, meta := w.t.Context(), w.meta(id)
	spec := domain.ClientSpec{Name: "App", RedirectURIs: []string{"https://app.example.test/cb"}}
	app, err := w.cmd.clients.Register(ctx, commands.RegisterClient{Spec: spec, Meta: meta})
	w.must("register client", err)
	gone, err := w.cmd.clients.Register(ctx, commands.RegisterClient{Spec: spec, Public: true, Meta: meta})
	w.must("register client", err)
	spec.Name = "App (renamed)"
	_, err = w.cmd.clients.Update(ctx, commands.UpdateClient{ClientID: app.ClientID, Spec: spec, Meta: meta})
	w.must("update client", err)
	_, err = w.cmd.clients.Delete(ctx, commands.ClientID{ClientID: gone.ClientID, Meta: meta})
	w.must("delete client", err)
	s := w.signIn(id)
	verifier := strings.Repeat("v", 43)
	w.seq++
	code, err := w.cmd.grants.IssueCode(ctx, commands.IssueCode{GrantID: fmt.Sprintf("GRANT%021d", w.seq), ClientID: app.ClientID,
		RedirectURI: "https://app.example.test/cb", Scopes: []string{"openid", "offline_access"}, CodeChallenge: commands.S256(verifier),
		UserID: id, SessionID: s.SessionID, Epoch: s.Epoch, AuthTime: w.now, AMR: []string{"pwd"}, Meta: meta})
	w.must("issue code", err)
	toks, err := w.cmd.grants.Redeem(ctx, commands.RedeemCode{Code: code.Code, ClientID: app.ClientID, RedirectURI: "https://app.example.test/cb", Verifier: verifier, Meta: meta})
	w.must("redeem code", err)
	_, err = w.cmd.grants.Refresh(ctx, commands.RefreshTokens{Refresh: toks.Refresh, ClientID: app.ClientID, Meta: meta})
	w.must("refresh", err)
	_, err = w.cmd.grants.Refresh(ctx, commands.RefreshTokens{Refresh: toks.Refresh, ClientID: app.ClientID, Meta: meta})
	w.must("reuse a refresh token", err, domain.ErrRefreshReused)
}

func head(t testing.TB, store *eventstore.Store) int64 {
	t.Helper()
	h, err := store.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newNode returns a store on a pool of its own to the database behind pool,
// named so that pg_stat_activity tells the nodes apart.
func newNode(t testing.TB, pool *pgxpool.Pool, name string) (*pgxpool.Pool, *eventstore.Store) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.ConnString(t, pool))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = name
	node, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	return node, eventstore.New(node, domain.Events(), discard)
}

// startRunner runs a runner until the returned stop is called (or the test ends).
func startRunner(t testing.TB, cfg projections.RunnerConfig) (ctx context.Context, cancel context.CancelFunc, stopped <-chan struct{}) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	r, err := projections.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ctx, cancel, done
}

// waitStopped waits for a runner's Run to return.
func waitStopped(t testing.TB, stopped <-chan struct{}) {
	t.Helper()
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatal("runner did not stop within 15s")
	}
}

// waitCaughtUp waits until every named projection's checkpoint is the head.
func waitCaughtUp(t testing.TB, pool *pgxpool.Pool, store *eventstore.Store, names ...string) {
	t.Helper()
	want := head(t, store)
	deadline := time.Now().Add(20 * time.Second)
	for {
		behind := map[string]int64{}
		for _, name := range names {
			cp, err := projections.Checkpoint(t.Context(), pool, name)
			if err != nil {
				t.Fatal(err)
			}
			if cp != want {
				behind[name] = cp
			}
		}
		if len(behind) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoints %v not at head %d within 20s", behind, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var allNames = []string{projections.UsersName, projections.SessionsName, projections.MFAName, projections.ForwardAuthName, projections.InvitesName}

// snapshot returns every row of the projections' tables, as text, in key order.
func snapshot(t testing.TB, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, key := range map[string]string{"users": "id", "sessions": "id", "mfa_state": "user_id", "invites": "id"} {
		rows, err := pool.Query(t.Context(), `SELECT r::text FROM `+table+` r ORDER BY `+key)
		if err != nil {
			t.Fatal(err)
		}
		out[table], err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// diffSnapshots reports how two snapshots differ, or "" when equal.
func diffSnapshots(got, want map[string][]string) string {
	var out string
	for _, table := range []string{"users", "sessions", "mfa_state", "invites"} {
		g, w := got[table], want[table]
		if slices.Equal(g, w) {
			continue
		}
		out += fmt.Sprintf("%s: got %d rows, want %d\n", table, len(g), len(w))
		for i := range max(len(g), len(w)) {
			var gr, wr string
			if i < len(g) {
				gr = g[i]
			}
			if i < len(w) {
				wr = w[i]
			}
			if gr != wr {
				out += fmt.Sprintf("  row %d:\n    got  %s\n    want %s\n", i, gr, wr)
			}
		}
	}
	return out
}

// checkTables compares the projection tables with what the log says,
// derived here from the events and the domain's own folds.
func checkTables(t *testing.T, pool *pgxpool.Pool, store *eventstore.Store) {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	type sessionWant struct {
		user, kind, clientIP string
		ended                bool
		reason               string
	}
	users := map[string]*domain.User{}
	loggedIn := map[string]bool{}
	failed := map[string]int{}
	enrolling := map[string]bool{}
	sessions := map[string]*sessionWant{}
	for _, rec := range recs {
		switch e := rec.Event.(type) {
		case domain.UserRegistered:
			users[e.UserID] = &domain.User{}
		case domain.LoginSucceeded:
			loggedIn[e.UserID] = true
		case domain.MFAChallengeFailed:
			failed[e.UserID]++
		case domain.TOTPEnrollmentStarted:
			enrolling[e.UserID] = true
		case domain.SessionStarted:
			if e.Replaces == "" { // a sign-in, not a rotation
				loggedIn[e.UserID] = true
			}
			sessions[e.SessionID] = &sessionWant{user: e.UserID, kind: string(e.Kind), clientIP: rec.Metadata.ClientIP}
		case domain.SessionEnded:
			if s := sessions[e.SessionID]; !s.ended {
				s.ended, s.reason = true, e.Reason
			}
		case domain.SessionsRevoked:
			for _, s := range sessions {
				if s.user == e.UserID && !s.ended {
					s.ended, s.reason = true, "revoked"
				}
			}
		}
		if u := users[userOf(rec)]; u != nil {
			u.Apply(rec.Event)
		}
	}

	rows, err := pool.Query(t.Context(), `SELECT id, username, email, admin, access_granted, session_epoch, last_login_at IS NOT NULL FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id, username, email string
		var admin, access, login bool
		var epoch int64
		if err := rows.Scan(&id, &username, &email, &admin, &access, &epoch, &login); err != nil {
			t.Fatal(err)
		}
		n++
		u := users[id]
		if u == nil {
			t.Errorf("users row %s: no such user in the log", id)
			continue
		}
		if username != u.Username || email != u.Email || admin != u.Admin || access != u.AccessGranted || epoch != u.Epoch || login != loggedIn[id] {
			t.Errorf("users row %s: got %s %s admin=%t access=%t epoch=%d logged-in=%t, want %s %s admin=%t access=%t epoch=%d logged-in=%t",
				id, username, email, admin, access, epoch, login, u.Username, u.Email, u.Admin, u.AccessGranted, u.Epoch, loggedIn[id])
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if n != len(users) {
		t.Errorf("users: got %d rows, want %d", n, len(users))
	}

	rows, err = pool.Query(t.Context(), `SELECT user_id, state, recovery_codes_remaining, failed_challenges FROM mfa_state`)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		var id, state string
		var left, fails int
		if err := rows.Scan(&id, &state, &left, &fails); err != nil {
			t.Fatal(err)
		}
		n++
		u := users[id]
		wantState, wantLeft := projections.MFAStatePending, 0
		switch {
		case u != nil && u.TOTP.Enabled:
			wantState, wantLeft = projections.MFAStateEnabled, u.RecoveryCodesLeft()
		case u != nil && u.TOTP.PendingSecret == "": // reset by an operator
			wantState = projections.MFAStateNone
		}
		if u == nil || state != wantState || left != wantLeft || fails != failed[id] {
			t.Errorf("mfa_state row %s: got %s, %d codes left, %d failures, want %s, %d, %d", id, state, left, fails, wantState, wantLeft, failed[id])
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if n != len(enrolling) {
		t.Errorf("mfa_state: got %d rows, want %d", n, len(enrolling))
	}

	rows, err = pool.Query(t.Context(), `SELECT id, user_id, kind, client_ip, ended_at IS NOT NULL, end_reason FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		var id string
		var got sessionWant
		if err := rows.Scan(&id, &got.user, &got.kind, &got.clientIP, &got.ended, &got.reason); err != nil {
			t.Fatal(err)
		}
		n++
		if want := sessions[id]; want == nil || got != *want {
			t.Errorf("sessions row %s: got %+v, want %+v", id, got, want)
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if n != len(sessions) {
		t.Errorf("sessions: got %d rows, want %d", n, len(sessions))
	}
	checkForwardTables(t, pool, store)
	checkOAuthTables(t, pool, recs)
}

// checkOAuthTables compares the clients and access-token tables with the log.
func checkOAuthTables(t *testing.T, pool *pgxpool.Pool, recs []domain.Recorded) {
	t.Helper()
	clients := map[string]*domain.Client{}
	tokens := map[string]string{} // access digest -> grant
	revoked := map[string]bool{}  // grant
	for _, rec := range recs {
		switch e := rec.Event.(type) {
		case domain.ClientRegistered:
			clients[e.ClientID] = &domain.Client{}
		case domain.CodeRedeemed:
			tokens[e.AccessDigest] = e.GrantID
		case domain.RefreshRotated:
			tokens[e.AccessDigest] = e.GrantID
		case domain.GrantRevoked:
			revoked[e.GrantID] = true
		}
		var clientID string
		switch e := rec.Event.(type) {
		case domain.ClientRegistered:
			clientID = e.ClientID
		case domain.ClientUpdated:
			clientID = e.ClientID
		case domain.ClientDeleted:
			clientID = e.ClientID
		}
		if c := clients[clientID]; c != nil {
			c.Apply(rec.Event)
		}
	}
	want := map[string]string{}
	for id, c := range clients {
		if c.Exists() {
			want[id] = c.Name
		}
	}
	got := map[string]string{}
	rows, err := pool.Query(t.Context(), `SELECT id, name FROM oauth_clients`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got[id] = name
	}
	if !maps.Equal(got, want) {
		t.Errorf("oauth_clients: got %v, want %v", got, want)
	}
	rows, err = pool.Query(t.Context(), `SELECT digest, grant_id, revoked FROM oidc_access_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var digest, grant string
		var isRevoked bool
		if err := rows.Scan(&digest, &grant, &isRevoked); err != nil {
			t.Fatal(err)
		}
		n++
		if tokens[digest] != grant || isRevoked != revoked[grant] {
			t.Errorf("oidc_access_tokens row of grant %s: revoked=%t, want grant %s revoked=%t", grant, isRevoked, tokens[digest], revoked[grant])
		}
	}
	if n != len(tokens) {
		t.Errorf("oidc_access_tokens: got %d rows, want %d", n, len(tokens))
	}
}

// userOf is the user whose stream holds rec, "" for other streams: every
// fact about a user is on their stream, so folding by stream needs no list
// of event types to keep up to date.
func userOf(rec domain.Recorded) string {
	id, _ := strings.CutPrefix(rec.StreamID, "user-")
	if id == rec.StreamID {
		return ""
	}
	return id
}

func TestRunnerCatchesUpThenFollows(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, store)
	w.run(150)

	startRunner(t, projections.RunnerConfig{
		Pool: pool, Store: store, Projections: projections.All(), BatchSize: 40, StandbyInterval: 100 * time.Millisecond,
	})
	waitCaughtUp(t, pool, store, allNames...)
	checkTables(t, pool, store)

	// Live: a new user signs up, signs in, enrolls; an old one is revoked.
	id := w.register(false)
	w.login(id)
	w.enroll(id, true)
	w.secondFactor(id)
	w.resetMFA(id)
	w.revokeSessions(w.users[0])
	w.run(head(t, store) + 40)
	waitCaughtUp(t, pool, store, allNames...)
	checkTables(t, pool, store)
	checkInvites(t, pool, store, w.now)

	var username string
	if err := pool.QueryRow(t.Context(), `SELECT username FROM users WHERE id = $1`, id).Scan(&username); err != nil {
		t.Fatalf("user signed up while following: %v", err)
	}
	checkCovered(t, store)
}

// legacy are the event types the projections still read from old logs but
// no command writes any more.
var legacy = map[string]bool{
	domain.TypeLoginSucceeded: true, // a sign-in is its SessionStarted now
}

// checkCovered fails when the commands never wrote an event type some
// projection handles: the comparison with the log would then prove nothing
// about that type.
func checkCovered(t *testing.T, store *eventstore.Store) {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, rec := range recs {
		seen[rec.Type]++
	}
	for _, p := range projections.All() {
		for _, typ := range p.Handles() {
			if seen[typ] == 0 && !legacy[typ] {
				t.Errorf("the scenario never wrote %s, which %s handles (wrote %v)", typ, p.Name(), seen)
			}
		}
	}
}

// crashing is a projection whose node stops between applying an event and
// committing: at the first event it handles at or after position at, it
// applies it, cancels the runner and fails, so the batch rolls back with
// its writes made.
type crashing struct {
	projections.Projection
	at      int64
	cancel  context.CancelFunc
	crashed atomic.Int64 // the position it crashed at
}

func (c *crashing) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, rec domain.Recorded) error {
	if err := c.Projection.Apply(ctx, tx, t, rec); err != nil {
		return err
	}
	if rec.Position >= c.at && c.crashed.CompareAndSwap(0, rec.Position) {
		c.cancel()
		return errors.New("node stopped before commit")
	}
	return nil
}

// handlesAny reports whether the log holds an event p applies.
func handlesAny(t *testing.T, pool *pgxpool.Pool, p projections.Projection) bool {
	t.Helper()
	var found bool
	if err := pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM events WHERE event_type = ANY($1))`, p.Handles()).Scan(&found); err != nil {
		t.Fatal(err)
	}
	return found
}

func TestRunnerStoppedBeforeCommitEqualsRebuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		first  int64            // events in the log before the runner starts
		follow bool             // wait until caught up before appending the rest
		last   int64            // events in the log at the end
		at     map[string]int64 // where each projection crashes
	}{
		{
			name: "during catch-up", first: 260, last: 300,
			at: map[string]int64{projections.UsersName: 97, projections.SessionsName: 131, projections.MFAName: 163, projections.ForwardAuthName: 150},
		},
		{
			name: "while following", first: 120, follow: true, last: 260,
			at: map[string]int64{projections.UsersName: 170, projections.SessionsName: 190, projections.MFAName: 210, projections.ForwardAuthName: 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := pgtest.New(t)
			store := eventstore.New(pool, domain.Events(), discard)
			w := newWorld(t, store)
			w.run(tt.first)

			// One runner per projection, so each stops at its own point.
			var crashes []*crashing
			var stops []<-chan struct{}
			for _, p := range projections.All() {
				if !handlesAny(t, pool, p) {
					continue // no event of its in this world: it could never crash
				}
				c := &crashing{Projection: p, at: tt.at[p.Name()]}
				var stopped <-chan struct{}
				_, c.cancel, stopped = startRunner(t, projections.RunnerConfig{
					Pool: pool, Store: store, Projections: []projections.Projection{c}, BatchSize: 40,
					StandbyInterval: 100 * time.Millisecond,
				})
				crashes, stops = append(crashes, c), append(stops, stopped)
			}
			if tt.follow {
				// Invites are written once, early: that projection has
				// crashed in its catch-up by now and is not waited for.
				waitCaughtUp(t, pool, store, projections.UsersName, projections.SessionsName, projections.MFAName, projections.ForwardAuthName)
			}
			w.run(tt.last) // appended while the runners catch up, follow or crash
			for i, c := range crashes {
				waitStopped(t, stops[i])
				pos := c.crashed.Load()
				if pos == 0 {
					t.Fatalf("%s never reached position %d", c.Name(), c.at)
				}
				cp, err := projections.Checkpoint(t.Context(), pool, c.Name())
				if err != nil {
					t.Fatal(err)
				}
				if cp >= pos {
					t.Errorf("%s crashed before committing %d, but its checkpoint is %d", c.Name(), pos, cp)
				}
			}

			// Restarted, the plain projections catch up from their checkpoints.
			_, cancel, stopped := startRunner(t, projections.RunnerConfig{
				Pool: pool, Store: store, Projections: projections.All(), BatchSize: 40, StandbyInterval: 100 * time.Millisecond,
			})
			waitCaughtUp(t, pool, store, allNames...)
			cancel()
			waitStopped(t, stopped)
			resumed := snapshot(t, pool)
			checkTables(t, pool, store)

			h := head(t, store)
			for range 2 { // a rebuild over a rebuilt table must work too
				for _, p := range projections.All() {
					pos, err := projections.Rebuild(t.Context(), pool, store, p, 50)
					if err != nil {
						t.Fatalf("rebuild %s: %v", p.Name(), err)
					}
					if pos != h {
						t.Errorf("rebuild %s: got position %d, want head %d", p.Name(), pos, h)
					}
				}
				if diff := diffSnapshots(resumed, snapshot(t, pool)); diff != "" {
					t.Errorf("tables after the restart (got) differ from a rebuild (want):\n%s", diff)
				}
				for _, name := range allNames {
					if cp, err := projections.Checkpoint(t.Context(), pool, name); err != nil || cp != h {
						t.Errorf("%s checkpoint after rebuild: got %d (%v), want %d", name, cp, err, h)
					}
				}
			}
		})
	}
}

// counting is a projection that counts the events it applies.
type counting struct {
	projections.Projection
	applied *atomic.Int64
}

func (c counting) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, rec domain.Recorded) error {
	c.applied.Add(1)
	return c.Projection.Apply(ctx, tx, t, rec)
}

// leaders returns, for each projection, the application names of the
// sessions holding its leader lock.
func leaders(t testing.TB, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range allNames {
		rows, err := pool.Query(t.Context(), `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::bigint << 32) | l.objid::bigint) = $1 ORDER BY 1`, projections.LockKey(name))
		if err != nil {
			t.Fatal(err)
		}
		out[name], err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestRunnerStandbyTakesOver(t *testing.T) {
	t.Parallel()
	const standby = 100 * time.Millisecond
	pool := pgtest.New(t)
	writer := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, writer)
	w.run(80)

	// Two nodes, each with its own pool, store and notifications, each
	// counting the events it applies.
	nodes := map[string]*pgxpool.Pool{}
	applied := map[string]*atomic.Int64{"node-a": {}, "node-b": {}}
	var stopA context.CancelFunc
	var stoppedA <-chan struct{}
	var wg sync.WaitGroup
	for _, name := range []string{"node-a", "node-b"} {
		node, store := newNode(t, pool, name)
		nodes[name] = node
		var counted []projections.Projection
		for _, p := range projections.All() {
			counted = append(counted, counting{Projection: p, applied: applied[name]})
		}
		ctx, cancel, stopped := startRunner(t, projections.RunnerConfig{
			Pool: node, Store: store, Projections: counted, StandbyInterval: standby,
		})
		wg.Go(func() { store.Listen(ctx) })
		if name == "node-a" {
			stopA, stoppedA = cancel, stopped
			waitCaughtUp(t, pool, writer, allNames...) // node-a leads everything
		}
	}
	t.Cleanup(wg.Wait)

	want := map[string][]string{}
	for _, name := range allNames {
		want[name] = []string{"node-a"}
	}
	// Over several standby intervals, with events arriving, node-b only waits.
	for range 5 {
		w.run(head(t, writer) + 5)
		time.Sleep(standby)
		if got := leaders(t, pool); !equalLeaders(got, want) {
			t.Fatalf("leaders while node-a runs: got %v, want %v", got, want)
		}
	}
	waitCaughtUp(t, pool, writer, allNames...)
	if a, b := applied["node-a"].Load(), applied["node-b"].Load(); a == 0 || b != 0 {
		t.Fatalf("events applied while node-a leads: got %d by node-a and %d by node-b, want some and none", a, b)
	}

	// node-a dies.
	stopA()
	waitStopped(t, stoppedA)
	nodes["node-a"].Close()
	for _, name := range allNames {
		want[name] = []string{"node-b"}
	}
	deadline := time.Now().Add(20 * standby)
	for got := leaders(t, pool); !equalLeaders(got, want); got = leaders(t, pool) {
		if time.Now().After(deadline) {
			t.Fatalf("leaders after node-a stopped: got %v, want %v within %v", got, want, 20*standby)
		}
		time.Sleep(standby / 4)
	}

	// node-b applies what comes next.
	id := w.register(true)
	w.login(id)
	w.enroll(id, true)
	before := applied["node-a"].Load()
	w.run(head(t, writer) + 30)
	waitCaughtUp(t, pool, writer, allNames...)
	checkTables(t, pool, writer)
	if a, b := applied["node-a"].Load(), applied["node-b"].Load(); a != before || b == 0 {
		t.Errorf("events applied after node-a stopped: got %d more by node-a and %d by node-b, want none and some", a-before, b)
	}
}

func equalLeaders(got, want map[string][]string) bool {
	for _, name := range allNames {
		if !slices.Equal(got[name], want[name]) {
			return false
		}
	}
	return true
}

// TestRebuildWhileRunnerFollows rebuilds every projection while its runner
// keeps following and events keep arriving, as Rebuild allows.
func TestRebuildWhileRunnerFollows(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, store)
	w.run(150)
	startRunner(t, projections.RunnerConfig{
		Pool: pool, Store: store, Projections: projections.All(), BatchSize: 40, StandbyInterval: 100 * time.Millisecond,
	})
	waitCaughtUp(t, pool, store, allNames...)

	// The rebuilds run in the background while this goroutine keeps the
	// users busy.
	rebuilt := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range projections.All() {
		wg.Go(func() {
			for range 3 {
				if _, err := projections.Rebuild(t.Context(), pool, store, p, 20); err != nil {
					t.Errorf("rebuild %s: %v", p.Name(), err)
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(rebuilt)
	}()
	during := head(t, store)
	for waiting := true; waiting; {
		select {
		case <-rebuilt:
			waiting = false
		default:
			w.run(head(t, store) + 1)
		}
	}
	t.Logf("%d events appended during the rebuilds", head(t, store)-during)
	w.run(head(t, store) + 10) // after the swap, the runner writes to the new tables
	waitCaughtUp(t, pool, store, allNames...)
	checkTables(t, pool, store)
}
