package workers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/workers"
	"github.com/emersion/go-smtp"
)

// resetMailer starts a mailer that also sends reset mail; stop ends it as
// a crash would.
func (f mailFixture) resetMailer(t *testing.T, settings workers.SMTPSettings) (stop func()) {
	t.Helper()
	m, err := workers.NewInviteMailer(workers.InviteMailerConfig{
		Pool: f.pool, Store: f.store, Owed: f.reader, Settings: workers.StaticMailSettings(settings),
		Start:   commands.NewStartInviteMailHandler(f.store, f.sealer, time.Now),
		Record:  commands.NewRecordInviteMailHandler(f.store),
		Resets:  commands.NewResetMailHandler(f.store, f.sealer, time.Now),
		BaseURL: f.base, SiteName: "Example", Logger: f.logger, Now: time.Now,
		MaxAttempts: 1000, Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Tick: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// requestReset appends a reset request as commands.RequestPasswordReset does.
func (f mailFixture) requestReset(t *testing.T, email, token string) string {
	t.Helper()
	digest := commands.InviteTokenDigest(token)
	stream := domain.PasswordResetStream(digest)
	sealed, err := f.sealer.Seal([]byte(token), stream)
	if err != nil {
		t.Fatal(err)
	}
	e := domain.PasswordResetRequested{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Email: email, ExpiresAt: time.Now().Add(time.Hour).UTC(),
		TokenDigest: digest, SealedToken: sealed}
	if _, err := f.store.Append(t.Context(), domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorSystem},
		eventstore.Append{StreamID: stream, Expected: eventstore.NoStream, Events: []domain.Event{e}}); err != nil {
		t.Fatal(err)
	}
	return stream
}

func (f mailFixture) countIn(t *testing.T, stream, typ string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = $2`, stream, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A reset's mail that fails is retried, and one still owed when the mailer
// dies is sent by the next: the checkpoint never passed its request.
func TestResetMailIsRetriedAndOutlivesItsMailer(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t)
	ms := newMailServer(t, "", "", false)
	ms.setRefuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"})
	settings := workers.SMTPSettings{Host: "127.0.0.1", Port: ms.Port, From: "portal@example.test", Security: "none"}

	stop := f.resetMailer(t, settings)
	stream := f.requestReset(t, "ada@example.test", "RESETTOKEN234567ABCDEFGHJK")
	eventually(t, "two failed attempts", func() bool { return f.countIn(t, stream, domain.TypePasswordResetEmailFailed) >= 2 })
	// An invite after the request, handled (its mail failed too), would
	// have moved the old mailer's checkpoint past the request.
	id := f.invite(t, "someone@example.test")
	eventually(t, "the invite's failed attempt", func() bool { return f.count(t, id, domain.TypeInviteEmailFailed) >= 1 })
	time.Sleep(100 * time.Millisecond) // a few ticks: the checkpoint is saved on ticks
	stop()

	ms.setRefuse(nil)
	f.resetMailer(t, settings)
	eventually(t, "the reset mail is recorded as sent", func() bool { return f.countIn(t, stream, domain.TypePasswordResetEmailSent) == 1 })
	var got []string
	for _, m := range ms.received() {
		if m.To == "ada@example.test" {
			got = append(got, m.Raw)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "https://auth.example.test/password/reset/RESETTOKEN234567ABCDEFGHJK") {
		t.Fatalf("ada received %d mails (want 1 with her link):\n%s", len(got), strings.Join(got, "\n---\n"))
	}
}
