package commands_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/throttle"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// unlimited lets every attempt through: for measuring what a login costs
// after many failures without the budgets refusing them.
type unlimited struct{}

func (unlimited) Take(context.Context, string, string, throttle.Limit, time.Time) (throttle.Decision, error) {
	return throttle.Decision{Allowed: true}, nil
}
func (unlimited) Refund(context.Context, string, string, throttle.Limit) {}

type loginFixture struct {
	store    *eventstore.Store
	login    commands.LoginHandler
	register commands.RegisterUserHandler
}

func newLoginFixture(tb testing.TB, budgets commands.Budgets) loginFixture {
	tb.Helper()
	pool := pgtest.New(tb)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := eventstore.New(pool, domain.Events(), logger)
	hasher := cheapHasher(tb)
	sealer := testSealer(tb)
	if budgets == nil {
		b, err := throttle.New(pool, make([]byte, 32), logger)
		if err != nil {
			tb.Fatal(err)
		}
		budgets = b
	}
	policy := domain.SessionPolicy{FullTTL: time.Hour, RestrictedTTL: 5 * time.Minute, PendingTTL: 10 * time.Minute}
	return loginFixture{
		store:    store,
		login:    commands.NewLoginHandler(store, hasher, budgets, sealer, rand.Text, func() time.Time { return t0 }, logger, policy, nil),
		register: commands.NewRegisterUserHandler(store, hasher, sealer, rand.Text),
	}
}

func (f loginFixture) addUser(tb testing.TB, name string) string {
	tb.Helper()
	res, err := f.register.Handle(tb.Context(), commands.RegisterUser{Username: name, Password: "correct horse battery", AccessGranted: true,
		Meta: domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}})
	if err != nil {
		tb.Fatal(err)
	}
	return res.UserID
}

func (f loginFixture) signIn(tb testing.TB, name, password, ip string) (commands.LoginResult, error) {
	tb.Helper()
	return f.login.Handle(tb.Context(), commands.Login{Username: name, Password: password,
		Meta: domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorAnonymous, ClientIP: ip}})
}

// A user whose stream grew long (every MFA sign-in adds a used time step)
// is loaded from a snapshot: the snapshot is taken, it is what later loads
// start from, and one that cannot be trusted is ignored.
func TestLongUserStreamsAreLoadedFromASnapshot(t *testing.T) {
	t.Parallel()
	f := newLoginFixture(t, unlimited{})
	id := f.addUser(t, "ada")
	meta := domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem}
	for i := range 100 {
		if _, err := f.store.Append(t.Context(), meta, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Any,
			Events: []domain.Event{domain.SessionsRevoked{UserID: id, Epoch: int64(i + 1), Reason: "test"}}}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := f.signIn(t, "ada", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Session.Epoch != 100 {
		t.Errorf("session epoch: got %d, want 100", res.Session.Epoch)
	}
	snap, ok, err := f.store.LoadSnapshot(t.Context(), domain.UserStream(id))
	if err != nil || !ok {
		t.Fatalf("snapshot after loading a 101-event stream: got %v, %v; want one", ok, err)
	}
	if snap.Version != 101 || snap.Schema != domain.UserSnapshotSchema {
		t.Errorf("snapshot: version %d schema %d, want 101 and %d", snap.Version, snap.Schema, domain.UserSnapshotSchema)
	}
	u, err := domain.UserFromSnapshot(snap.Data)
	if err != nil || u.Epoch != 100 || u.Username != "ada" {
		t.Errorf("snapshot state: %+v, %v", u, err)
	}

	// A snapshot with a wrong epoch but the right schema would be believed:
	// prove loads start from it by planting one, then check a foreign
	// schema is ignored.
	u.Epoch = 7000
	data, err := domain.SnapshotUser(u)
	if err != nil {
		t.Fatal(err)
	}
	f.store.SaveSnapshot(t.Context(), domain.UserStream(id), eventstore.Snapshot{Version: 102, Schema: domain.UserSnapshotSchema, Data: data})
	if _, err := f.store.Append(t.Context(), meta, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Any,
		Events: []domain.Event{domain.AdminGranted{UserID: id, Reason: "test"}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := f.signIn(t, "ada", "correct horse battery", "192.0.2.1"); err != nil || res.Session.Epoch != 7000 {
		t.Errorf("sign-in after a planted snapshot: epoch %d, %v; want 7000 (loads start from the snapshot)", res.Session.Epoch, err)
	}
	f.store.SaveSnapshot(t.Context(), domain.UserStream(id), eventstore.Snapshot{Version: 103, Schema: domain.UserSnapshotSchema + 1, Data: []byte(`{"nonsense":true}`)})
	if res, err := f.signIn(t, "ada", "correct horse battery", "192.0.2.1"); err != nil || res.Session.Epoch != 100 {
		t.Errorf("sign-in with a snapshot of another schema: epoch %d, %v; want 100 from the stream", res.Session.Epoch, err)
	}
}

// Failed sign-ins never land on the user's stream, whoever's name they use.
func TestFailedSignInsLeaveTheUserStreamAlone(t *testing.T) {
	t.Parallel()
	f := newLoginFixture(t, unlimited{})
	id := f.addUser(t, "bea")
	_, before, err := f.store.Load(t.Context(), domain.UserStream(id))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := f.signIn(t, "bea", "wrong", fmt.Sprintf("198.51.100.%d", i)); !errors.Is(err, commands.ErrInvalidCredentials) {
			t.Fatalf("wrong password: got %v, want ErrInvalidCredentials", err)
		}
	}
	if _, err := f.signIn(t, "bea", "correct horse battery", "198.51.100.200"); err != nil {
		t.Fatal(err)
	}
	if _, after, _ := f.store.Load(t.Context(), domain.UserStream(id)); after != before {
		t.Errorf("user stream version: got %d after 50 failures and a sign-in, want %d", after, before)
	}
}

// BenchmarkLogin measures a correct sign-in (with a cheap hash, so the log
// reads dominate) for a fresh user, for one with 10,000 failed attempts
// against it, and for one with 10,000 MFA sign-ins on its stream.
//
//	go test -run '^$' -bench Login -benchtime 300x ./commands/
func BenchmarkLogin(b *testing.B) {
	for _, tc := range []struct {
		name    string
		prepare func(b *testing.B, f loginFixture, id string)
	}{
		{"fresh", func(*testing.B, loginFixture, string) {}},
		{"after-10000-failures", func(b *testing.B, f loginFixture, id string) {
			for i := range 10_000 {
				if _, err := f.signIn(b, "ada", "wrong", fmt.Sprintf("10.%d.%d.1", i/256, i%256)); !errors.Is(err, commands.ErrInvalidCredentials) {
					b.Fatal(err)
				}
			}
		}},
		{"after-10000-mfa-sign-ins", func(b *testing.B, f loginFixture, id string) {
			meta := domain.Metadata{Actor: id, ActorKind: domain.ActorUser}
			for i := range 10_000 {
				if _, err := f.store.Append(b.Context(), meta, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Any,
					Events: []domain.Event{domain.TOTPUsed{UserID: id, Step: int64(i + 1), SessionID: "s"}}}); err != nil {
					b.Fatal(err)
				}
			}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := newLoginFixture(b, unlimited{})
			id := f.addUser(b, "ada")
			tc.prepare(b, f, id)
			if _, err := f.signIn(b, "ada", "correct horse battery", "192.0.2.1"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.signIn(b, "ada", "correct horse battery", "192.0.2.1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// One browser's device budget for one account is not spent by guesses at
// another account from the same browser (a shared computer, or a guesser
// holding their own device cookie).
func TestDeviceBudgetIsPerAccount(t *testing.T) {
	t.Parallel()
	f := newLoginFixture(t, nil)
	f.addUser(t, "mal")
	f.addUser(t, "ali")
	devices := []commands.Device{{ID: "D", Username: "mal"}, {ID: "D", Username: "ali"}}
	signIn := func(name, password string) error {
		_, err := f.login.Handle(t.Context(), commands.Login{Username: name, Password: password, Devices: devices,
			Meta: domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorAnonymous, ClientIP: "192.0.2.1"}})
		return err
	}
	var limited *commands.RateLimitedError
	for i := range 11 {
		err := signIn("mal", "wrong")
		if i < 10 && !errors.Is(err, commands.ErrInvalidCredentials) || i == 10 && !errors.As(err, &limited) {
			t.Fatalf("guess %d at mal through the device: %v", i+1, err)
		}
	}
	if err := signIn("ali", "correct horse battery"); err != nil {
		t.Errorf("ali through the same browser after mal's device budget was spent: got %v, want a session", err)
	}
}
