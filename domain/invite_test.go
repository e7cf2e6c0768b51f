package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
)

func newInvite(t *testing.T, now time.Time, link bool, uses int) domain.Invite {
	t.Helper()
	c, err := domain.CreateInvite(domain.NewInvite{ID: "inv1", Email: "friend@example.com", Link: link, MaxUses: uses,
		TokenDigest: "sha256:abc", SealedToken: "v1.x", ExpiresAt: now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return domain.FoldInvite([]domain.Event{c})
}

func TestInviteAcceptIsSingleUseAndChecksExpiryAndRevocation(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	inv := newInvite(t, now, false, 0)
	if _, err := inv.Accept("sha256:abd", "u1", "", now); !errors.Is(err, domain.ErrInviteNotFound) {
		t.Errorf("wrong digest: got %v, want ErrInviteNotFound", err)
	}
	if _, err := inv.Accept("sha256:abc", "u1", "", now.Add(48*time.Hour)); !errors.Is(err, domain.ErrInviteExpired) {
		t.Errorf("at expiry: got %v, want ErrInviteExpired", err)
	}
	e, err := inv.Accept("sha256:abc", "u1", "Ada", now)
	if err != nil || e.Uses != 1 {
		t.Fatalf("accept: got %+v, %v; want one use", e, err)
	}
	inv.Apply(e)
	if _, err := inv.Accept("sha256:abc", "u2", "", now); !errors.Is(err, domain.ErrInviteUsed) {
		t.Errorf("second use: got %v, want ErrInviteUsed", err)
	}
	if got := inv.State(now); got != domain.InviteStateAccepted {
		t.Errorf("state: got %q, want accepted", got)
	}

	revoked := newInvite(t, now, false, 0)
	events, err := revoked.Revoke(now)
	if err != nil || len(events) != 1 {
		t.Fatalf("revoke: got %v, %v", events, err)
	}
	revoked.Apply(events[0])
	if _, err := revoked.Accept("sha256:abc", "u1", "", now); !errors.Is(err, domain.ErrInviteRevoked) {
		t.Errorf("revoked: got %v, want ErrInviteRevoked", err)
	}
}

func TestLinkInviteCountsUses(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	inv := newInvite(t, now, true, 2)
	if inv.Created.SealedToken != "" {
		t.Error("a link invite keeps its sealed token; want none (the admin saw it once)")
	}
	for i, user := range []string{"u1", "u2"} {
		e, err := inv.Accept("sha256:abc", user, "", now)
		if err != nil || e.Uses != i+1 {
			t.Fatalf("use %d: got %+v, %v", i+1, e, err)
		}
		inv.Apply(e)
	}
	if _, err := inv.Accept("sha256:abc", "u3", "", now); !errors.Is(err, domain.ErrInviteUsed) {
		t.Errorf("third use: got %v, want ErrInviteUsed", err)
	}
}

func TestInviteMailRoundsResumeInFlightAndGiveUp(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	inv := newInvite(t, now, false, 0)
	id := func(n int) string { return "<m" + string(rune('0'+n)) + ">" }
	n, mid, intent, err := inv.BeginMail(now, id)
	if err != nil || n != 1 || intent == nil {
		t.Fatalf("first attempt: %d %q %v %v", n, mid, intent, err)
	}
	inv.Apply(intent)
	// A crash after the intent: the same attempt, the same Message-ID, no new intent.
	n2, mid2, intent2, err := inv.BeginMail(now, id)
	if err != nil || n2 != 1 || mid2 != mid || intent2 != nil {
		t.Fatalf("resume: got %d %q %v %v, want attempt 1, %q, no intent", n2, mid2, intent2, err, mid)
	}
	inv.Apply(inv.MailOutcome(1, mid, "refused", false, 2, now.Add(time.Minute)))
	if _, _, _, err := inv.BeginMail(now, id); err == nil {
		t.Fatal("a retry before its time: got an attempt, want none")
	}
	now = now.Add(time.Minute)
	if !inv.MailOwed(now) {
		t.Fatal("after one failure of two: no mail owed")
	}
	_, mid, intent, _ = inv.BeginMail(now, id)
	inv.Apply(intent)
	final := inv.MailOutcome(2, mid, "refused", false, 2, now.Add(time.Minute))
	if f, ok := final.(domain.InviteEmailFailed); !ok || !f.Final {
		t.Fatalf("second failure of two: got %+v, want final", final)
	}
	inv.Apply(final)
	if inv.MailOwed(now) || inv.State(now) != domain.InviteStateFailed {
		t.Fatalf("after giving up: owed %v, state %q", inv.MailOwed(now), inv.State(now))
	}
	events, err := inv.RequestResend(now)
	if err != nil {
		t.Fatal(err)
	}
	inv.Apply(events[0])
	if n, _, _, _ := inv.BeginMail(now, id); n != 3 || !inv.MailOwed(now) {
		t.Errorf("after resend: attempt %d, owed %v; want 3, true", n, inv.MailOwed(now))
	}
}

func TestCreateInviteRefusesBadInput(t *testing.T) {
	base := domain.NewInvite{ID: "i", Email: "a@example.com", TokenDigest: "d", SealedToken: "s", ExpiresAt: time.Unix(1, 0)}
	tests := []struct {
		name   string
		mutate func(*domain.NewInvite)
		field  string
	}{
		{"no email", func(n *domain.NewInvite) { n.Email = "" }, "email"},
		{"bad email", func(n *domain.NewInvite) { n.Email = "Ada <a@example.com>" }, "email"},
		{"bad role", func(n *domain.NewInvite) { n.Role = "root" }, "role"},
		{"bad mode", func(n *domain.NewInvite) { n.PermissionMode = "some" }, "permission_mode"},
		{"uses on email invite", func(n *domain.NewInvite) { n.MaxUses = 5 }, "max_uses"},
		{"too many uses", func(n *domain.NewInvite) { n.Link, n.MaxUses = true, 1001 }, "max_uses"},
		{"unknown media server", func(n *domain.NewInvite) { n.Provision = "plex" }, "provision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			tt.mutate(&in)
			_, err := domain.CreateInvite(in)
			var invalid *domain.InvalidInputError
			if !errors.As(err, &invalid) || invalid.Field != tt.field {
				t.Errorf("got %v, want invalid %s", err, tt.field)
			}
		})
	}
	if _, err := domain.CreateInvite(base); err != nil {
		t.Errorf("baseline: got %v, want none", err)
	}
	withMedia := base
	withMedia.Provision = "emby"
	if c, err := domain.CreateInvite(withMedia); err != nil || c.Provision != "emby" {
		t.Errorf("provision on Emby: got %+v, %v; want it kept", c, err)
	}
}
