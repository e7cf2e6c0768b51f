package commands_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"context"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/throttle"
)

// digests is the invites projection's lookup, kept by hand: these tests
// are about the invite's stream deciding, not about the read model.
type digests struct {
	mu sync.Mutex
	m  map[string]string
}

func (d *digests) FindInvite(_ context.Context, digest string) (string, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.m[digest]
	return id, ok, nil
}

type inviteFixture struct {
	store    *eventstore.Store
	clock    *time.Time
	create   commands.CreateInviteHandler
	accept   commands.AcceptInviteHandler
	register commands.RegisterUserHandler
	revoke   commands.RevokeInviteHandler
	mail     commands.StartInviteMailHandler
	found    *digests
}

func newInviteFixture(t testing.TB, budgets commands.Budgets, policy domain.SessionPolicy) inviteFixture {
	t.Helper()
	pool := pgtest.New(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := eventstore.New(pool, domain.Events(), logger)
	if budgets == nil {
		b, err := throttle.New(pool, make([]byte, 32), logger)
		if err != nil {
			t.Fatal(err)
		}
		budgets = b
	}
	now := t0
	clock := func() time.Time { return now }
	hasher, sealer := cheapHasher(t), testSealer(t)
	found := &digests{m: map[string]string{}}
	return inviteFixture{
		store: store, clock: &now, found: found,
		create:   commands.NewCreateInviteHandler(store, sealer, rand.Text, rand.Text, clock, 48*time.Hour),
		accept:   commands.NewAcceptInviteHandler(store, found, hasher, sealer, budgets, rand.Text, clock, policy, logger),
		register: commands.NewRegisterUserHandler(store, hasher, sealer, rand.Text),
		revoke:   commands.NewRevokeInviteHandler(store, clock),
		mail:     commands.NewStartInviteMailHandler(store, sealer, clock),
	}
}

var adminMeta = domain.Metadata{Actor: "admin1", ActorKind: domain.ActorAdmin}

func anon(ip string) domain.Metadata {
	return domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorAnonymous, ClientIP: ip}
}

// invite creates an invite and returns its id and clear token (for an
// email invite, as the mailer gets it).
func (f inviteFixture) invite(t testing.TB, cmd commands.CreateInvite) (string, string) {
	t.Helper()
	cmd.Meta = adminMeta
	res, err := f.create.Handle(t.Context(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	token := res.Token
	if !cmd.Link {
		if token != "" {
			t.Fatal("an email invite's token came back to the admin")
		}
		m, err := f.mail.Handle(t.Context(), commands.StartInviteMail{InviteID: res.InviteID, MessageID: func(n int) string { return "<m>" }, Meta: adminMeta})
		if err != nil || !m.Owed {
			t.Fatalf("start mail: %+v, %v", m, err)
		}
		token = m.Token
	}
	f.found.mu.Lock()
	f.found.m[commands.InviteTokenDigest(token)] = res.InviteID
	f.found.mu.Unlock()
	return res.InviteID, token
}

var policy = domain.SessionPolicy{MFAEnabled: true, FullTTL: time.Hour, RestrictedTTL: 5 * time.Minute, PendingTTL: 10 * time.Minute}

func TestAcceptInviteCreatesAnAuthorizedUserAndSignsIn(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, nil, policy)
	id, token := f.invite(t, commands.CreateInvite{Email: "friend@example.com", Role: "admin"})
	res, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "Friend", DisplayName: "A Friend",
		Password: "correct horse battery", Meta: anon("203.0.113.5")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Session.Kind != domain.SessionFull || !res.Session.Authorized {
		t.Errorf("session: got kind %q authorized %v, want a full authorized session", res.Session.Kind, res.Session.Authorized)
	}
	events, _, err := f.store.Load(t.Context(), domain.UserStream(res.UserID))
	if err != nil {
		t.Fatal(err)
	}
	u := domain.FoldUser(events)
	if u.Username != "friend" || u.Email != "friend@example.com" || !u.AccessGranted || !u.Admin {
		t.Errorf("user: got %+v, want friend, the invite's email, access and admin", u)
	}
	invEvents, _, _ := f.store.Load(t.Context(), domain.InviteStream(id))
	if inv := domain.FoldInvite(invEvents); inv.Uses != 1 || inv.Accepted[0] != res.UserID {
		t.Errorf("invite: got %d uses by %v, want 1 by %s", inv.Uses, inv.Accepted, res.UserID)
	}
	// The token is spent: a second account cannot be made with it.
	_, err = f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "other", Password: "correct horse battery", Meta: anon("203.0.113.5")})
	if !errors.Is(err, domain.ErrInviteUsed) {
		t.Errorf("reuse: got %v, want ErrInviteUsed", err)
	}
}

func TestAcceptInviteIsSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, unlimited{}, policy)
	_, token := f.invite(t, commands.CreateInvite{Link: true})
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "user" + string(rune('a'+i)),
				Password: "correct horse battery", Meta: anon("203.0.113.5")})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, domain.ErrInviteUsed):
			t.Errorf("got %v, want success or ErrInviteUsed", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d accepts of a single-use invite succeeded, want 1", won)
	}
}

func TestAcceptInviteWithATakenUsernameWritesNothing(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, nil, policy)
	id, token := f.invite(t, commands.CreateInvite{Email: "friend@example.com"})
	// Someone takes the name between the mail and the accept.
	if _, err := f.register.Handle(t.Context(), commands.RegisterUser{Username: "alice", Password: "correct horse battery", Meta: adminMeta}); err != nil {
		t.Fatal(err)
	}
	_, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "ALICE", Password: "correct horse battery", Meta: anon("203.0.113.5")})
	if !errors.Is(err, domain.ErrUsernameTaken) {
		t.Fatalf("got %v, want ErrUsernameTaken", err)
	}
	events, _, _ := f.store.Load(t.Context(), domain.InviteStream(id))
	if inv := domain.FoldInvite(events); inv.Uses != 0 {
		t.Fatalf("invite uses after a refused accept: got %d, want 0", inv.Uses)
	}
	if _, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "alice2", Password: "correct horse battery", Meta: anon("203.0.113.5")}); err != nil {
		t.Errorf("accept with another name: %v", err)
	}
}

func TestAcceptInviteRefusesExpiredRevokedUnknownAndWeak(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, unlimited{}, policy)
	_, expiring := f.invite(t, commands.CreateInvite{Link: true})
	revokedID, revoked := f.invite(t, commands.CreateInvite{Link: true})
	if _, err := f.revoke.Handle(t.Context(), commands.RevokeInvite{InviteID: revokedID, Meta: adminMeta}); err != nil {
		t.Fatal(err)
	}
	_, good := f.invite(t, commands.CreateInvite{Link: true})

	accept := func(token, name, password string) error {
		_, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: name, Password: password, Meta: anon("203.0.113.5")})
		return err
	}
	if err := accept(revoked, "bob", "correct horse battery"); !errors.Is(err, domain.ErrInviteRevoked) {
		t.Errorf("revoked: got %v, want ErrInviteRevoked", err)
	}
	if err := accept("not-a-token", "bob", "correct horse battery"); !errors.Is(err, domain.ErrInviteNotFound) {
		t.Errorf("unknown: got %v, want ErrInviteNotFound", err)
	}
	for _, tt := range []struct{ name, password string }{{"bob", "short"}, {"bobbobbob", "BobBobBob"}, {"bob", "aaaaaaaaaa"}} {
		var invalid *domain.InvalidInputError
		if err := accept(good, tt.name, tt.password); !errors.As(err, &invalid) || invalid.Field != "password" {
			t.Errorf("password %q: got %v, want an invalid password", tt.password, err)
		}
	}
	*f.clock = f.clock.Add(48 * time.Hour)
	if err := accept(expiring, "bob", "correct horse battery"); !errors.Is(err, domain.ErrInviteExpired) {
		t.Errorf("expired: got %v, want ErrInviteExpired", err)
	}
}

func TestAcceptInviteEnrollsFirstWhenMFAIsEnforced(t *testing.T) {
	t.Parallel()
	enforce := policy
	enforce.MFAEnforce = true
	f := newInviteFixture(t, nil, enforce)
	_, token := f.invite(t, commands.CreateInvite{Link: true})
	res, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "carol", Password: "correct horse battery", Meta: anon("203.0.113.5")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Session.Kind != domain.SessionMFAEnroll {
		t.Errorf("session kind: got %q, want %q", res.Session.Kind, domain.SessionMFAEnroll)
	}
}

func TestAcceptInviteIsRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, nil, policy)
	var limited *commands.RateLimitedError
	for i := range commands.InviteAddressLimit.Burst + 1 {
		_, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: "guess" + string(rune('a'+i)), Username: "x", Password: "correct horse battery", Meta: anon("198.51.100.7")})
		if i < commands.InviteAddressLimit.Burst && !errors.Is(err, domain.ErrInviteNotFound) {
			t.Fatalf("attempt %d: got %v, want ErrInviteNotFound", i+1, err)
		}
		if i == commands.InviteAddressLimit.Burst && !errors.As(err, &limited) {
			t.Fatalf("attempt %d: got %v, want rate limited", i+1, err)
		}
	}
	// Another address is not held back.
	_, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: "guess", Username: "x", Password: "correct horse battery", Meta: anon("198.51.100.8")})
	if !errors.Is(err, domain.ErrInviteNotFound) {
		t.Errorf("other address: got %v, want ErrInviteNotFound", err)
	}
}

func TestAcceptedInviteCarriesItsHostPermissions(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, nil, policy)
	_, err := f.create.Handle(t.Context(), commands.CreateInvite{Email: "a@example.com", PermissionMode: "deny_all",
		PermittedHosts: []string{"no-such-host"}, Meta: adminMeta})
	var invalid *domain.InvalidInputError
	if !errors.As(err, &invalid) || invalid.Field != "permitted_hosts" {
		t.Errorf("unknown host: got %v, want invalid permitted_hosts", err)
	}
	host, err := commands.NewHostsHandler(f.store, rand.Text).Add(t.Context(), commands.AddHost{
		Spec: domain.HostSpec{Host: "jellyseerr.example.com", ForwardAuth: true}, Meta: adminMeta})
	if err != nil {
		t.Fatal(err)
	}
	_, token := f.invite(t, commands.CreateInvite{Email: "a@example.com", PermissionMode: "deny_all", PermittedHosts: []string{host.HostID}})
	res, err := f.accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "dana", Password: "correct horse battery", Meta: anon("203.0.113.5")})
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := f.store.Load(t.Context(), domain.UserStream(res.UserID))
	if err != nil {
		t.Fatal(err)
	}
	u := domain.FoldUser(events)
	if u.Permissions.Mode != domain.DenyAll || !u.Permissions.Hosts[host.HostID] || len(u.Permissions.Hosts) != 1 {
		t.Errorf("permissions: got %+v, want deny_all except %s", u.Permissions, host.HostID)
	}
}

// BenchmarkAcceptInvite measures accepting a link invite (a cheap hash, so
// the log's part shows): one append of four streams, after the lookup and
// the invite's load.
func BenchmarkAcceptInvite(b *testing.B) {
	f := newInviteFixture(b, unlimited{}, policy)
	_, token := f.invite(b, commands.CreateInvite{Link: true, MaxUses: domain.MaxInviteUses})
	if b.N > domain.MaxInviteUses {
		b.Skip("run with -benchtime at most 1000x: one link makes at most 1000 accounts")
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.accept.Handle(b.Context(), commands.AcceptInvite{Token: token, Username: fmt.Sprintf("bench%04d", i),
			Password: "correct horse battery", Meta: anon("203.0.113.5")}); err != nil {
			b.Fatal(err)
		}
	}
}
