package commands_test

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

func TestChangePasswordSealsTheHashAndLoginOpensIt(t *testing.T) {
	store := newStore(t)
	hasher := cheapHasher(t)
	key := make([]byte, 32)
	sealer, err := commands.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	meta := domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}
	register := commands.NewRegisterUserHandler(store, hasher, sealer, rand.Text)
	ada, err := register.Handle(t.Context(), commands.RegisterUser{Username: "ada", Password: "correct horse battery", AccessGranted: true, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := register.Handle(t.Context(), commands.RegisterUser{Username: "bob", Password: "bob's own password", AccessGranted: true, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	policy := domain.SessionPolicy{FullTTL: time.Hour, RestrictedTTL: time.Minute, PendingTTL: time.Minute}
	login := commands.NewLoginHandler(store, hasher, unlimited{}, sealer, rand.Text, now, slog.New(slog.NewTextHandler(io.Discard, nil)), policy, nil)
	change := commands.NewChangePasswordHandler(store, hasher, sealer)

	if _, err := change.Handle(t.Context(), commands.ChangePassword{UserID: ada.UserID, Password: "short", Meta: meta}); err == nil {
		t.Error("a 5-character password was accepted")
	}
	if _, err := change.Handle(t.Context(), commands.ChangePassword{UserID: "nobody", Password: "staple battery horse", Meta: meta}); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("change for no user: got %v, want ErrUserNotFound", err)
	}
	res, err := change.Handle(t.Context(), commands.ChangePassword{UserID: ada.UserID, Password: "staple battery horse", Reason: "cli", Meta: meta})
	if err != nil || res.Position == 0 {
		t.Fatalf("change: %+v %v", res, err)
	}
	if _, err := login.Handle(t.Context(), commands.Login{Username: "ada", Password: "correct horse battery", Meta: meta}); !errors.Is(err, commands.ErrInvalidCredentials) {
		t.Errorf("old password: got %v, want ErrInvalidCredentials", err)
	}
	if _, err := login.Handle(t.Context(), commands.Login{Username: "ada", Password: "staple battery horse", Meta: meta}); err != nil {
		t.Errorf("new password: got %v, want a session", err)
	}
	// A password sealed at registration works too.
	if _, err := login.Handle(t.Context(), commands.Login{Username: "bob", Password: "bob's own password", Meta: meta}); err != nil {
		t.Errorf("clear hash from registration: got %v, want a session", err)
	}

	// The stored hash is sealed to ada: copied onto bob's stream it does not open.
	events, _, err := store.Load(t.Context(), domain.UserStream(ada.UserID))
	if err != nil {
		t.Fatal(err)
	}
	sealed := domain.FoldUser(events).PasswordHash
	if _, err := sealer.Open(sealed, ada.UserID); err != nil {
		t.Fatalf("ada's hash does not open for ada: %v", err)
	}
	_, version, err := store.Load(t.Context(), domain.UserStream(bob.UserID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(t.Context(), meta, eventstore.Append{StreamID: domain.UserStream(bob.UserID), Expected: eventstore.Exactly(version),
		Events: []domain.Event{domain.PasswordChanged{UserID: bob.UserID, PasswordHash: sealed, Reason: "copied"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := login.Handle(t.Context(), commands.Login{Username: "bob", Password: "staple battery horse", Meta: meta}); !errors.Is(err, commands.ErrUnseal) {
		t.Errorf("login with ada's sealed hash copied to bob: got %v, want ErrUnseal", err)
	}
}
