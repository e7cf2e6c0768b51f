package projections_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// inviteHandlers are the invite commands, as serve wires them.
type inviteHandlers struct {
	create  commands.CreateInviteHandler
	revoke  commands.RevokeInviteHandler
	resend  commands.ResendInviteHandler
	start   commands.StartInviteMailHandler
	record  commands.RecordInviteMailHandler
	accept  commands.AcceptInviteHandler
	digests *digestIndex
}

// digestIndex stands in for the invites table's lookup while the
// scenario writes (the projection under test is not running yet).
type digestIndex struct {
	mu sync.Mutex
	m  map[string]string
}

func (d *digestIndex) FindInvite(_ context.Context, digest string) (string, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.m[digest]
	return id, ok, nil
}

func newInviteHandlers(store *eventstore.Store, sealer *commands.Sealer, hasher commands.PasswordHasher, newID func() string,
	clock func() time.Time, policy domain.SessionPolicy) inviteHandlers {
	d := &digestIndex{m: map[string]string{}}
	return inviteHandlers{
		create:  commands.NewCreateInviteHandler(store, sealer, newID, newID, clock, 48*time.Hour),
		revoke:  commands.NewRevokeInviteHandler(store, clock),
		resend:  commands.NewResendInviteHandler(store, clock),
		start:   commands.NewStartInviteMailHandler(store, sealer, clock),
		record:  commands.NewRecordInviteMailHandler(store),
		accept:  commands.NewAcceptInviteHandler(store, d, hasher, sealer, unlimited{}, newID, clock, policy, discard),
		digests: d,
	}
}

// invites writes every invite event: an email invite mailed after one
// failure, resent, accepted by a new user; a link invite revoked.
func (w *world) invites() {
	w.t.Helper()
	ctx, h := w.t.Context(), w.cmd.invites
	admin := w.meta(w.users[0])
	admin.ActorKind = domain.ActorAdmin
	res, err := h.create.Handle(ctx, commands.CreateInvite{Email: "invited@example.com", Meta: admin})
	w.must("create invite", err)
	id := res.InviteID
	msgID := func(n int) string { return fmt.Sprintf("invite-%s-%d@test", id, n) }
	mail := func(fail string) commands.InviteMail {
		m, err := h.start.Handle(ctx, commands.StartInviteMail{InviteID: id, MessageID: msgID, Meta: w.meta("system")})
		w.must("start invite mail", err)
		_, _, err = h.record.Handle(ctx, commands.RecordInviteMail{InviteID: id, Attempt: m.Attempt, MessageID: m.MessageID, Error: fail,
			MaxAttempts: 3, RetryAt: w.now, Meta: w.meta("system")})
		w.must("record invite mail", err)
		return m
	}
	mail("451 try again later")
	m := mail("")
	_, err = h.resend.Handle(ctx, commands.ResendInvite{InviteID: id, Meta: admin})
	w.must("resend invite", err)
	mail("")
	h.digests.mu.Lock()
	h.digests.m[commands.InviteTokenDigest(m.Token)] = id
	h.digests.mu.Unlock()
	n := len(w.users)
	p := &player{username: fmt.Sprintf("Invited.%03d", n), password: fmt.Sprintf("password-%03d", n)}
	acc, err := h.accept.Handle(ctx, commands.AcceptInvite{Token: m.Token, Username: p.username, Password: p.password, Meta: w.meta("")})
	w.must("accept invite", err)
	w.users = append(w.users, acc.UserID)
	w.players[acc.UserID] = p

	link, err := h.create.Handle(ctx, commands.CreateInvite{Link: true, MaxUses: 3, Meta: admin})
	w.must("create link invite", err)
	_, err = h.revoke.Handle(ctx, commands.RevokeInvite{InviteID: link.InviteID, Meta: admin})
	w.must("revoke invite", err)
}

// checkInvites compares the invites table with the invites' streams.
func checkInvites(t *testing.T, pool *pgxpool.Pool, store *eventstore.Store, now time.Time) {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	folded := map[string]*domain.Invite{}
	for _, rec := range recs {
		if c, ok := rec.Event.(domain.InviteCreated); ok {
			folded[c.InviteID] = &domain.Invite{}
		}
		if id, ok := cutInvite(rec.StreamID); ok && folded[id] != nil {
			folded[id].Apply(rec.Event)
		}
	}
	list, err := queriesInvites(t, pool, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(folded) {
		t.Errorf("invites: got %d rows, want %d", len(list), len(folded))
	}
	for id, state := range list {
		inv := folded[id]
		if inv == nil {
			t.Errorf("invites row %s: no such invite in the log", id)
			continue
		}
		if want := inv.State(now); state != want {
			t.Errorf("invites row %s: state %q, want %q", id, state, want)
		}
	}
}

func cutInvite(stream string) (string, bool) {
	if len(stream) > len("invite-") && stream[:len("invite-")] == "invite-" {
		return stream[len("invite-"):], true
	}
	return "", false
}

// queriesInvites reads the invites table's states the way the console does.
func queriesInvites(t *testing.T, pool *pgxpool.Pool, now time.Time) (map[string]string, error) {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT id, revoked, uses >= max_uses, expires_at <= $1, mail_state FROM invites`, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, mail string
		var revoked, used, expired bool
		if err := rows.Scan(&id, &revoked, &used, &expired, &mail); err != nil {
			return nil, err
		}
		switch {
		case revoked:
			out[id] = domain.InviteStateRevoked
		case used:
			out[id] = domain.InviteStateAccepted
		case expired:
			out[id] = domain.InviteStateExpired
		case mail == "sent":
			out[id] = domain.InviteStateSent
		case mail == "failed":
			out[id] = domain.InviteStateFailed
		default:
			out[id] = domain.InviteStatePending
		}
	}
	return out, rows.Err()
}
