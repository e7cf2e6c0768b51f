package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
)

// follow runs a.Follow until the test ends.
func follow(t *testing.T, a *projections.Access, store *eventstore.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Follow(ctx, store, discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follow: got error %v, want none", err)
		}
	})
}

// waitFor waits until the model reflects pos, failing the test after 10s.
func waitFor(t *testing.T, a *projections.Access, pos int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.WaitFor(ctx, pos); err != nil {
		t.Fatalf("wait for %d: %v", pos, err)
	}
}

// checkAccess compares the model with the log: users as the domain folds
// them, and sessions ended by logout (unexpired at now) as ended.
func checkAccess(t *testing.T, a *projections.Access, store *eventstore.Store, now time.Time) {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]*domain.User{}
	sessions := map[string]domain.Session{}
	for _, rec := range recs {
		if e, ok := rec.Event.(domain.UserRegistered); ok {
			users[e.UserID] = &domain.User{}
		}
		if u := users[userOf(rec)]; u != nil {
			u.Apply(rec.Event)
		}
		switch e := rec.Event.(type) {
		case domain.SessionStarted:
			s := sessions[e.SessionID]
			s.Apply(e)
			sessions[e.SessionID] = s
		case domain.SessionEnded:
			s := sessions[e.SessionID]
			s.Apply(e)
			sessions[e.SessionID] = s
		}
	}
	for id, want := range users {
		got, ok := a.User(id)
		if !ok {
			t.Errorf("user %s: not in the model", id)
			continue
		}
		if got.Username != want.Username || got.Admin != want.Admin || got.AccessGranted != want.AccessGranted ||
			got.Epoch != want.Epoch || got.Authorized() != want.Authorized() || got.MFAEnabled != want.TOTP.Enabled ||
			got.MFAPending != (want.TOTP.PendingSecret != "") || got.RecoveryCodes != want.RecoveryCodesLeft() {
			t.Errorf("user %s: got %+v, want %+v", id, got, *want)
		}
	}
	ended, live := 0, 0
	for id, s := range sessions {
		switch {
		case s.Ended && s.ExpiresAt.After(now):
			ended++
			if a.SessionLive(id, now) {
				t.Errorf("session %s ended by logout: got live, want not", id)
			}
		case !s.Ended && s.ExpiresAt.After(now) && users[s.UserID].Epoch == s.Epoch:
			live++
			if !a.SessionLive(id, now) {
				t.Errorf("session %s was started and never ended: got not live, want live", id)
			}
		}
	}
	if a.SessionLive("never-started", now) {
		t.Error("a session id the log never started: got live, want not")
	}
	// Sessions revoked by epoch may be either: the epoch check refuses them.
	if ended == 0 || live == 0 {
		t.Errorf("the scenario has %d ended and %d live unexpired sessions; the test needs both", ended, live)
	}
}

func TestAccessLoadThenFollow(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, store)
	w.run(150)
	for range 3 { // sessions ended by logout, still unexpired
		w.logout(w.users[1])
	}

	// The tables are brought to the head, then the runner stops: from here
	// on only Follow keeps the model current.
	_, cancel, stopped := startRunner(t, projections.RunnerConfig{
		Pool: pool, Store: store, Projections: projections.All(), StandbyInterval: 100 * time.Millisecond,
	})
	waitCaughtUp(t, pool, store, allNames...)
	cancel()
	waitStopped(t, stopped)

	a := projections.NewAccess()
	if err := a.Load(t.Context(), pool, w.now); err != nil {
		t.Fatalf("load: %v", err)
	}
	if got, want := a.Position(), head(t, store); got != want {
		t.Errorf("position after load: got %d, want %d", got, want)
	}
	checkAccess(t, a, store, w.now)

	follow(t, a, store)
	id := w.register(false)
	sid := w.login(id)
	w.enroll(id, true)
	w.logout(id)
	old, _ := w.user(w.users[0])
	w.revokeSessions(w.users[0])
	w.setAdmin(w.users[2], true)
	w.run(head(t, store) + 30)
	waitFor(t, a, head(t, store))

	checkAccess(t, a, store, w.now)
	if u, ok := a.User(id); !ok || !u.MFAEnabled {
		t.Errorf("user who signed up while following: got %+v, %t, want present with MFA", u, ok)
	}
	if a.SessionLive(sid, w.now) {
		t.Errorf("session %s after its SessionEnded: got live, want not", sid)
	}
	if u, _ := a.User(w.users[0]); u.Epoch <= old.Epoch {
		t.Errorf("epoch after SessionsRevoked: got %d, want more than %d", u.Epoch, old.Epoch)
	}
}

func TestAccessWaitFor(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, store)
	w.run(10)
	a := projections.NewAccess() // position 0; Follow reads the whole log
	follow(t, a, store)
	waitFor(t, a, 10)

	tests := []struct {
		name    string
		ahead   int64         // how far past the head to wait
		append  bool          // append that far while waiting
		timeout time.Duration // how long WaitFor may take
		wantErr bool
	}{
		{name: "position already reflected", ahead: 0, timeout: time.Second},
		{name: "position reflected after an append", ahead: 2, append: true, timeout: 10 * time.Second},
		{name: "position never reached", ahead: 1, timeout: 200 * time.Millisecond, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := head(t, store) + tt.ahead
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			result := make(chan error, 1)
			go func() { result <- a.WaitFor(ctx, target) }()
			if tt.append {
				time.Sleep(50 * time.Millisecond)
				w.run(target)
			}
			err := <-result
			switch {
			case tt.wantErr:
				if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, projections.ErrModelBehind) {
					t.Errorf("got error %v, want one wrapping ErrModelBehind and context.DeadlineExceeded", err)
				}
			case err != nil:
				t.Errorf("got error %v, want none", err)
			case a.Position() < target:
				t.Errorf("WaitFor returned at position %d, want at least %d", a.Position(), target)
			}
		})
	}
}

// TestAccessApply folds events straight into the model.
func TestAccessApply(t *testing.T) {
	t.Parallel()
	expires := start.Add(12 * time.Hour)
	rec := func(pos int64, e domain.Event) domain.Recorded {
		return domain.Recorded{Position: pos, Type: e.EventType(), SchemaVersion: e.SchemaVersion(), Event: e}
	}
	base := []domain.Recorded{
		rec(1, domain.UserRegistered{UserID: "u1", Username: "ada", Provider: "local", AccessGranted: false}),
		rec(2, domain.SessionStarted{SessionID: "s1", UserID: "u1", Kind: domain.SessionFull, ExpiresAt: expires}),
	}
	tests := []struct {
		name      string
		events    []domain.Recorded
		wantUser  projections.AccessUser
		wantEnded bool // else s1 is live: it was started in base
		wantPos   int64
	}{
		{
			name:     "registered",
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local"},
			wantPos:  2,
		},
		{
			name:     "admin granted",
			events:   []domain.Recorded{rec(3, domain.AdminGranted{UserID: "u1"})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local", Admin: true},
			wantPos:  3,
		},
		{
			name:     "admin granted then revoked",
			events:   []domain.Recorded{rec(3, domain.AdminGranted{UserID: "u1"}), rec(4, domain.AdminRevoked{UserID: "u1"})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local"},
			wantPos:  4,
		},
		{
			name:     "sessions revoked sets the epoch",
			events:   []domain.Recorded{rec(3, domain.SessionsRevoked{UserID: "u1", Epoch: 4})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local", Epoch: 4},
			wantPos:  3,
		},
		{
			name:     "sessions revoked twice is the last epoch",
			events:   []domain.Recorded{rec(3, domain.SessionsRevoked{UserID: "u1", Epoch: 1}), rec(4, domain.SessionsRevoked{UserID: "u1", Epoch: 2})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local", Epoch: 2},
			wantPos:  4,
		},
		{
			name:     "totp enrollment started",
			events:   []domain.Recorded{rec(3, domain.TOTPEnrollmentStarted{UserID: "u1", Secret: "sealed"})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local", MFAPending: true},
			wantPos:  3,
		},
		{
			name: "totp enabled",
			events: []domain.Recorded{
				rec(3, domain.TOTPEnrollmentStarted{UserID: "u1", Secret: "sealed"}),
				rec(4, domain.TOTPEnabled{UserID: "u1", RecoveryCodes: []string{"a", "b", "c"}, Step: 1}),
			},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local", MFAEnabled: true, RecoveryCodes: 3},
			wantPos:  4,
		},
		{
			name: "recovery code used",
			events: []domain.Recorded{
				rec(3, domain.TOTPEnrollmentStarted{UserID: "u1", Secret: "sealed"}),
				rec(4, domain.TOTPEnabled{UserID: "u1", RecoveryCodes: []string{"a", "b", "c"}, Step: 1}),
				rec(5, domain.RecoveryCodeUsed{UserID: "u1", Index: 1, Remaining: 2}),
			},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local", MFAEnabled: true, RecoveryCodes: 2},
			wantPos:  5,
		},
		{
			name:      "session ended",
			events:    []domain.Recorded{rec(3, domain.SessionEnded{SessionID: "s1", UserID: "u1", Reason: "logout", ExpiresAt: expires})},
			wantUser:  projections.AccessUser{ID: "u1", Username: "ada", Provider: "local"},
			wantEnded: true,
			wantPos:   3,
		},
		{
			name:     "events at or before the position are ignored",
			events:   []domain.Recorded{rec(2, domain.AdminGranted{UserID: "u1"}), rec(1, domain.SessionsRevoked{UserID: "u1", Epoch: 9})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local"},
			wantPos:  2,
		},
		{
			name:     "events of unknown users change no one",
			events:   []domain.Recorded{rec(3, domain.AdminGranted{UserID: "u2"})},
			wantUser: projections.AccessUser{ID: "u1", Username: "ada", Provider: "local"},
			wantPos:  3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := projections.NewAccess()
			for _, r := range append(append([]domain.Recorded{}, base...), tt.events...) {
				a.Apply(r)
			}
			if got, ok := a.User("u1"); !ok || got != tt.wantUser {
				t.Errorf("user: got %+v (%t), want %+v", got, ok, tt.wantUser)
			}
			if _, ok := a.User("u2"); ok {
				t.Error("user u2: got present, want absent")
			}
			if got := a.SessionLive("s1", start); got == tt.wantEnded {
				t.Errorf("session live: got %t, want %t", got, !tt.wantEnded)
			}
			if got := a.Position(); got != tt.wantPos {
				t.Errorf("position: got %d, want %d", got, tt.wantPos)
			}
			if a.SessionLive("s1", expires) {
				t.Error("session live at its expiry: got live, want not")
			}
			a.Prune(expires.Add(time.Second))
			if a.SessionLive("s1", start) {
				t.Error("session live after its expiry and a prune: got live, want forgotten")
			}
		})
	}
}
