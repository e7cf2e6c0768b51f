package projections_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var discard = slog.New(slog.DiscardHandler)

// start is the fixed clock every scenario begins at.
var start = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// world drives AuthPortal's domain against a real log: every action loads
// the streams, decides with the domain's own rules and appends with the
// expected version, as the command handlers do.
type world struct {
	t      testing.TB
	store  *eventstore.Store
	now    time.Time
	rng    *rand.Rand
	policy domain.SessionPolicy
	users  []string
	open   map[string][]string // user id -> ids of the sessions they started
	seq    int
}

func newWorld(t testing.TB, store *eventstore.Store) *world {
	return &world{
		t: t, store: store, now: start, rng: rand.New(rand.NewPCG(1, 2)),
		policy: domain.SessionPolicy{MFAEnabled: true, FullTTL: 12 * time.Hour, RestrictedTTL: time.Hour, PendingTTL: 5 * time.Minute},
		open:   map[string][]string{},
	}
}

// meta is the metadata of the next request, from a different address each time.
func (w *world) meta(actor string) domain.Metadata {
	w.seq++
	w.now = w.now.Add(time.Minute)
	return domain.Metadata{
		Actor: actor, ActorKind: domain.ActorUser,
		ClientIP: fmt.Sprintf("198.51.100.%d", w.seq%250), UserAgent: fmt.Sprintf("Mozilla/5.0 test-agent/%d", w.seq%7),
		RequestID: fmt.Sprintf("req-%06d", w.seq), CorrelationID: fmt.Sprintf("corr-%06d", w.seq),
	}
}

func (w *world) append(meta domain.Metadata, appends ...eventstore.Append) {
	w.t.Helper()
	if _, err := w.store.Append(w.t.Context(), meta, appends...); err != nil {
		w.t.Fatalf("append: %v", err)
	}
}

func (w *world) user(id string) (domain.User, int64) {
	w.t.Helper()
	events, version, err := w.store.Load(w.t.Context(), domain.UserStream(id))
	if err != nil {
		w.t.Fatal(err)
	}
	return domain.FoldUser(events), version
}

// register signs a new user up and returns the id.
func (w *world) register(admin bool) string {
	w.t.Helper()
	n := len(w.users)
	id := fmt.Sprintf("01JPDQ%020d", n)
	signup, err := domain.RegisterUser(domain.NewUser{
		ID: id, Username: fmt.Sprintf("User.%03d", n), Email: fmt.Sprintf("user%03d@example.com", n), Provider: "local",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", AccessGranted: n%3 != 0, Admin: admin, AdminReason: "cli",
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.append(w.meta(id),
		eventstore.Append{StreamID: domain.UsernameStream(signup.Claim.Username), Expected: eventstore.NoStream, Events: []domain.Event{signup.Claim}},
		eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.NoStream, Events: signup.User},
	)
	w.users = append(w.users, id)
	return id
}

// login passes a user's first factor and starts a session.
func (w *world) login(id string) string {
	w.t.Helper()
	u, version := w.user(id)
	sid := fmt.Sprintf("01JPDS%020d", w.seq)
	l, err := u.Login(sid, false, w.policy, w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	appends := []eventstore.Append{{StreamID: domain.SessionStream(sid), Expected: eventstore.NoStream, Events: []domain.Event{l.Session}}}
	if len(l.User) > 0 {
		appends = append(appends, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: l.User})
	}
	w.append(w.meta(id), appends...)
	w.open[id] = append(w.open[id], sid)
	return sid
}

func (w *world) loginFailed(id string) {
	w.t.Helper()
	u, version := w.user(id)
	w.append(w.meta(id), eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: []domain.Event{
		domain.LoginFailed{UserID: id, Username: u.Username, Provider: "local", Reason: "bad_password"},
	}})
}

// logout ends one of the user's sessions (if it has not ended already).
func (w *world) logout(id string) {
	w.t.Helper()
	if len(w.open[id]) == 0 {
		return
	}
	sid := w.open[id][w.rng.IntN(len(w.open[id]))]
	events, version, err := w.store.Load(w.t.Context(), domain.SessionStream(sid))
	if err != nil {
		w.t.Fatal(err)
	}
	if ended := domain.FoldSession(events).End("logout"); len(ended) > 0 {
		w.append(w.meta(id), eventstore.Append{StreamID: domain.SessionStream(sid), Expected: eventstore.Exactly(version), Events: ended})
	}
}

func (w *world) setAdmin(id string, admin bool) {
	w.t.Helper()
	u, version := w.user(id)
	events, err := u.SetAdmin(admin, "console")
	if err != nil {
		w.t.Fatal(err)
	}
	if len(events) > 0 {
		w.append(w.meta("admin"), eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: events})
	}
}

func (w *world) revokeSessions(id string) {
	w.t.Helper()
	u, version := w.user(id)
	w.append(w.meta(id), eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: []domain.Event{
		domain.SessionsRevoked{UserID: id, Epoch: u.Epoch + 1, Reason: "user_request"},
	}})
}

// enroll starts TOTP enrollment and, when verify, enables it.
func (w *world) enroll(id string, verify bool) {
	w.t.Helper()
	u, version := w.user(id)
	session := domain.Session{ID: "enroll-" + id, UserID: id, Kind: domain.SessionFull, AuthTime: w.now}
	started, err := u.BeginTOTPEnrollment(session, time.Time{}, "v1.sealed-totp-secret-"+id, w.now)
	if errors.Is(err, domain.ErrMFAAlreadyEnrolled) {
		return
	}
	if err != nil {
		w.t.Fatal(err)
	}
	w.append(w.meta(id), eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: []domain.Event{started}})
	if !verify {
		return
	}
	u, version = w.user(id)
	codes := []string{"sha256:" + id + "-0", "sha256:" + id + "-1", "sha256:" + id + "-2", "sha256:" + id + "-3"}
	enabled, err := u.EnableTOTP(domain.SessionFull, w.now.Unix()/30, codes)
	if err != nil {
		w.t.Fatal(err)
	}
	w.append(w.meta(id), eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: enabled})
}

// secondFactor answers an MFA challenge: a TOTP code, a recovery code or
// a wrong code, at random.
func (w *world) secondFactor(id string) {
	w.t.Helper()
	u, version := w.user(id)
	if !u.TOTP.Enabled {
		return
	}
	sid := fmt.Sprintf("01JPDC%020d", w.seq)
	var e domain.Event
	var err error
	switch w.rng.IntN(3) {
	case 0:
		e, err = u.AcceptTOTP(u.TOTP.LastStep+1+int64(w.rng.IntN(3)), sid)
	case 1:
		digest := fmt.Sprintf("sha256:%s-%d", id, w.rng.IntN(len(u.TOTP.RecoveryCodes)))
		e, err = u.UseRecoveryCode(digest, sid)
		if errors.Is(err, domain.ErrCodeInvalid) { // spent already
			e, err = domain.MFAChallengeFailed{UserID: id, SessionID: sid, Reason: "invalid"}, nil
		}
	default:
		e = domain.MFAChallengeFailed{UserID: id, SessionID: sid, Reason: "invalid"}
	}
	if err != nil {
		w.t.Fatal(err)
	}
	w.append(w.meta(id), eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Exactly(version), Events: []domain.Event{e}})
}

// run does random actions until the log holds at least n events.
func (w *world) run(n int64) {
	w.t.Helper()
	if len(w.users) == 0 {
		for i := range 4 {
			w.register(i == 0)
		}
	}
	for head(w.t, w.store) < n {
		id := w.users[w.rng.IntN(len(w.users))]
		switch r := w.rng.IntN(100); {
		case r < 8:
			w.register(r < 2)
		case r < 35:
			w.login(id)
		case r < 45:
			w.logout(id)
		case r < 50:
			w.loginFailed(id)
		case r < 55:
			w.setAdmin(id, w.rng.IntN(2) == 0)
		case r < 60:
			w.revokeSessions(id)
		case r < 70:
			w.enroll(id, r < 67)
		default:
			w.secondFactor(id)
		}
	}
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

var allNames = []string{projections.UsersName, projections.SessionsName, projections.MFAName}

// snapshot returns every row of the projections' tables, as text, in key order.
func snapshot(t testing.TB, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, key := range map[string]string{"users": "id", "sessions": "id", "mfa_state": "user_id"} {
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
	for _, table := range []string{"users", "sessions", "mfa_state"} {
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
		if u := users[userOf(rec.Event)]; u != nil {
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
		if u != nil && u.TOTP.Enabled {
			wantState, wantLeft = projections.MFAStateEnabled, u.RecoveryCodesLeft()
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
}

// userOf returns the user an event of the user stream belongs to.
func userOf(e domain.Event) string {
	switch e := e.(type) {
	case domain.UserRegistered:
		return e.UserID
	case domain.AdminGranted:
		return e.UserID
	case domain.AdminRevoked:
		return e.UserID
	case domain.SessionsRevoked:
		return e.UserID
	case domain.TOTPEnrollmentStarted:
		return e.UserID
	case domain.TOTPEnabled:
		return e.UserID
	case domain.TOTPUsed:
		return e.UserID
	case domain.RecoveryCodeUsed:
		return e.UserID
	}
	return ""
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
	w.revokeSessions(w.users[0])
	w.run(head(t, store) + 40)
	waitCaughtUp(t, pool, store, allNames...)
	checkTables(t, pool, store)

	var username string
	if err := pool.QueryRow(t.Context(), `SELECT username FROM users WHERE id = $1`, id).Scan(&username); err != nil {
		t.Fatalf("user signed up while following: %v", err)
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
			at: map[string]int64{projections.UsersName: 97, projections.SessionsName: 131, projections.MFAName: 163},
		},
		{
			name: "while following", first: 120, follow: true, last: 260,
			at: map[string]int64{projections.UsersName: 170, projections.SessionsName: 190, projections.MFAName: 210},
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
				c := &crashing{Projection: p, at: tt.at[p.Name()]}
				var stopped <-chan struct{}
				_, c.cancel, stopped = startRunner(t, projections.RunnerConfig{
					Pool: pool, Store: store, Projections: []projections.Projection{c}, BatchSize: 40,
					StandbyInterval: 100 * time.Millisecond,
				})
				crashes, stops = append(crashes, c), append(stops, stopped)
			}
			if tt.follow {
				waitCaughtUp(t, pool, store, allNames...)
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
