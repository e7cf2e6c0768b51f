package commands_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/throttle"
)

type externalFixture struct {
	store  *eventstore.Store
	signIn commands.SignInExternalHandler
	local  loginFixture
}

func newExternalFixture(t *testing.T, key []byte) externalFixture {
	t.Helper()
	pool := pgtest.New(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := eventstore.New(pool, domain.Events(), logger)
	budgets, err := throttle.New(pool, make([]byte, 32), logger)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := commands.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	policy := domain.SessionPolicy{FullTTL: time.Hour, RestrictedTTL: 5 * time.Minute, PendingTTL: 10 * time.Minute}
	return externalFixture{store: store, signIn: commands.NewSignInExternalHandler(store, budgets, sealer, rand.Text, func() time.Time { return t0 }, logger, policy)}
}

func (f externalFixture) as(t *testing.T, ident providers.Identity, err error) (commands.LoginResult, error) {
	t.Helper()
	return f.signIn.Handle(t.Context(), commands.SignInExternal{Provider: "jellyfin", AccountKey: ident.Username,
		Authenticate: func(context.Context) (providers.Identity, error) { return ident, err },
		Meta:         domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorAnonymous, ClientIP: "192.0.2.1"}})
}

func jellyfinUser(access bool, token string) providers.Identity {
	reason := "enabled"
	if !access {
		reason = "disabled"
	}
	return providers.Identity{Provider: "jellyfin", Subject: "c0ffee", Username: "admin", Access: access, Reason: reason, Token: token}
}

func TestExternalSignInMakesOneUserPerProviderAccount(t *testing.T) {
	t.Parallel()
	f := newExternalFixture(t, make([]byte, 32))
	local, err := commands.NewRegisterUserHandler(f.store, cheapHasher(t), testSealer(t), rand.Text).Handle(t.Context(),
		commands.RegisterUser{Username: "admin", Password: "correct horse battery", Admin: true, Meta: domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.as(t, jellyfinUser(true, "token-1"), nil) // a Jellyfin user called "admin"
	if err != nil {
		t.Fatal(err)
	}
	if first.Session.UserID == local.UserID {
		t.Fatal("a Jellyfin user called like the local admin signed in as the local admin")
	}
	if !first.Session.Authorized || first.Session.Provider != "jellyfin" || first.Session.Kind != domain.SessionFull {
		t.Errorf("first sign-in of a user the server shares with: %+v", first.Session)
	}
	again, err := f.as(t, jellyfinUser(true, "token-1"), nil)
	if err != nil || again.Session.UserID != first.Session.UserID {
		t.Fatalf("second sign-in: user %q, %v; want the same user %q", again.Session.UserID, err, first.Session.UserID)
	}
	// The token is kept sealed, never in clear.
	recs, err := f.store.ReadAll(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(fmt.Sprintf("%+v", r.Event), "token-1") {
			t.Errorf("%s holds the provider token in clear", r.Type)
		}
	}

	// The server stops sharing: access and sessions go.
	revoked, err := f.as(t, jellyfinUser(false, "token-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.Session.Authorized || revoked.Session.Epoch != first.Session.Epoch+1 {
		t.Errorf("after the server stopped sharing: %+v; want an unauthorized session at the next epoch", revoked.Session)
	}
}

func TestExternalSignInRefusalsAndOutages(t *testing.T) {
	t.Parallel()
	f := newExternalFixture(t, make([]byte, 32))
	var limited *commands.RateLimitedError
	for i := range 11 {
		_, err := f.as(t, providers.Identity{Username: "victim"}, fmt.Errorf("jellyfin: %w", providers.ErrInvalidCredentials))
		if i < 10 && !errors.Is(err, commands.ErrInvalidCredentials) || i == 10 && !errors.As(err, &limited) {
			t.Fatalf("refusal %d: got %v", i+1, err)
		}
	}
	if _, err := f.as(t, providers.Identity{Username: "other"}, fmt.Errorf("jellyfin: %w", providers.ErrUnavailable)); !errors.Is(err, commands.ErrProviderUnavailable) {
		t.Errorf("provider down: got %v, want ErrProviderUnavailable", err)
	}
	if head, _ := f.store.Head(t.Context()); head != 0 {
		t.Errorf("refusals and outages wrote %d events, want none", head)
	}
}

// A token sealed under another DATA_KEY cannot be opened: it is replaced,
// and sign-in goes on (fails closed for the old token, never crashes).
func TestExternalSignInReplacesATokenItCannotOpen(t *testing.T) {
	t.Parallel()
	f := newExternalFixture(t, make([]byte, 32))
	first, err := f.as(t, jellyfinUser(true, "token-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := make([]byte, 32)
	otherKey[0] = 1
	g := f
	sealer, err := commands.NewSealer(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	g.signIn = commands.NewSignInExternalHandler(f.store, unlimited{}, sealer, rand.Text, func() time.Time { return t0 },
		slog.New(slog.NewTextHandler(io.Discard, nil)), domain.SessionPolicy{FullTTL: time.Hour, RestrictedTTL: time.Minute, PendingTTL: time.Minute})
	if _, err := g.as(t, jellyfinUser(true, "token-1"), nil); err != nil {
		t.Fatalf("sign-in under another key: %v", err)
	}
	events, _, err := f.store.Load(t.Context(), domain.UserStream(first.Session.UserID))
	if err != nil {
		t.Fatal(err)
	}
	var refreshed bool
	for _, e := range events {
		_, ok := e.(domain.IdentityTokenRefreshed)
		refreshed = refreshed || ok
	}
	if !refreshed {
		t.Error("a token sealed under another key was kept instead of replaced")
	}
}
