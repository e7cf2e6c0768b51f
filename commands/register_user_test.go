package commands_test

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/providers/local"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(t *testing.T) *eventstore.Store {
	t.Helper()
	return eventstore.New(pgtest.New(t), domain.Events(), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func cheapHasher(t testing.TB) *local.Hasher {
	t.Helper()
	h, err := local.NewHasher(local.Params{Memory: 64, Time: 1, Threads: 1}, 8)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testSealer(t testing.TB) *commands.Sealer {
	t.Helper()
	s, err := commands.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUsernamesAreUniqueWhateverTheCaseAndTheRace(t *testing.T) {
	store := newStore(t)
	register := commands.NewRegisterUserHandler(store, cheapHasher(t), testSealer(t), rand.Text)
	names := []string{"alice", "Alice", "ALICE", "aLiCe", "alice", "Alice ", " alice", "ALICE"}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			_, errs[i] = register.Handle(t.Context(), commands.RegisterUser{Username: name, Password: "correct horse battery", Meta: domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, domain.ErrUsernameTaken):
			t.Errorf("%q: %v, want success or ErrUsernameTaken", names[i], err)
		}
	}
	if won != 1 {
		t.Fatalf("%d registrations of one name succeeded, want 1", won)
	}
	events, _, err := store.Load(t.Context(), domain.UsernameStream("alice"))
	if err != nil || len(events) != 1 {
		t.Errorf("claim stream holds %d events (%v), want 1", len(events), err)
	}
}

func TestRegisterUserRefusesBadInput(t *testing.T) {
	store := newStore(t)
	register := commands.NewRegisterUserHandler(store, cheapHasher(t), testSealer(t), rand.Text)
	tests := []struct {
		name, username, email, password, field string
	}{
		{"short password", "bob", "", "short", "password"},
		{"bad username", "bob smith", "", "correct horse battery", "username"},
		{"bad email", "bob", "bob at example", "correct horse battery", "email"},
		{"email with a display name", "bob", "Bob <bob@example.com>", "correct horse battery", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := register.Handle(t.Context(), commands.RegisterUser{Username: tt.username, Email: tt.email, Password: tt.password})
			var invalid *domain.InvalidInputError
			if !errors.As(err, &invalid) || invalid.Field != tt.field {
				t.Errorf("got %v, want an invalid %s", err, tt.field)
			}
		})
	}
	if head, err := store.Head(t.Context()); err != nil || head != 0 {
		t.Errorf("refused registrations wrote %d events (%v)", head, err)
	}
}
