package workers_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
	"github.com/authportal/authportal/workers"
	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wneessen/go-mail"
)

type mailFixture struct {
	pool   *pgxpool.Pool
	store  *eventstore.Store
	reader *queries.Reader
	sealer *commands.Sealer
	create commands.CreateInviteHandler
	resend commands.ResendInviteHandler
	base   *url.URL
	logger *slog.Logger
}

func newMailFixture(t *testing.T) mailFixture {
	t.Helper()
	pool := pgtest.New(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := eventstore.New(pool, domain.Events(), logger)
	sealer, err := commands.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runner, err := projections.NewRunner(projections.RunnerConfig{Pool: pool, Store: store, Logger: logger,
		Projections: []projections.Projection{projections.Invites{}}, StandbyInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { store.Listen(ctx) })
	wg.Go(func() { runner.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	base, _ := url.Parse("https://auth.example.test")
	return mailFixture{pool: pool, store: store, reader: queries.NewReader(pool), sealer: sealer, base: base, logger: logger,
		create: commands.NewCreateInviteHandler(store, sealer, rand.Text, rand.Text, time.Now, 48*time.Hour),
		resend: commands.NewResendInviteHandler(store, time.Now)}
}

func (f mailFixture) invite(t *testing.T, email string) string {
	t.Helper()
	res, err := f.create.Handle(t.Context(), commands.CreateInvite{Email: email, Meta: domain.Metadata{Actor: "admin", ActorKind: domain.ActorAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return res.InviteID
}

// mailer starts a mailer; stop ends it as a crash would (no outcome
// recorded for what it was doing), and waits for it.
func (f mailFixture) mailer(t *testing.T, settings workers.SMTPSettings, sender workers.MailSender) (stop func()) {
	t.Helper()
	m, err := workers.NewInviteMailer(workers.InviteMailerConfig{
		Pool: f.pool, Store: f.store, Owed: f.reader, Settings: workers.StaticMailSettings(settings), Sender: sender,
		Start:   commands.NewStartInviteMailHandler(f.store, f.sealer, time.Now),
		Record:  commands.NewRecordInviteMailHandler(f.store),
		BaseURL: f.base, SiteName: "Example", Logger: f.logger, Now: time.Now,
		MaxAttempts: 3, Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Tick: 20 * time.Millisecond,
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

func (f mailFixture) inviteState(t *testing.T, id string) domain.Invite {
	t.Helper()
	events, _, err := f.store.Load(t.Context(), domain.InviteStream(id))
	if err != nil {
		t.Fatal(err)
	}
	return domain.FoldInvite(events)
}

func (f mailFixture) count(t *testing.T, id, typ string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = $2`,
		domain.InviteStream(id), typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond until it holds; the deadline only ends a test that
// would otherwise hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var linkPattern = regexp.MustCompile(`https://auth\.example\.test/invite/([A-Za-z0-9]+)`)

func TestInviteMailArrivesOverSTARTTLSWithPlainAuthAndAWorkingLink(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t)
	ms := newMailServer(t, "mailer", "s3cret-smtp", true)
	f.mailer(t, workers.SMTPSettings{Host: "127.0.0.1", Port: ms.Port, Username: "mailer", Password: "s3cret-smtp",
		From: "portal@example.test", Security: "starttls", TLS: &tls.Config{RootCAs: ms.CertPool, ServerName: "127.0.0.1"}}, nil)
	id := f.invite(t, "friend@example.test")

	eventually(t, "the invite's mail is recorded as sent", func() bool { return f.inviteState(t, id).Sent })
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	m := got[0]
	if m.To != "friend@example.test" || !m.TLS || ms.authed == 0 {
		t.Errorf("message to %q over TLS %v, authenticated sessions %d: want friend@example.test, TLS, PLAIN auth", m.To, m.TLS, ms.authed)
	}
	if want := "<invite-" + id + "-1@auth.example.test>"; m.MessageID != want {
		t.Errorf("Message-ID: got %q, want %q", m.MessageID, want)
	}
	if !strings.Contains(m.Raw, "text/plain") || !strings.Contains(m.Raw, "text/html") {
		t.Error("the mail lacks a plain-text or an HTML part")
	}
	link := linkPattern.FindStringSubmatch(m.Raw)
	if link == nil {
		t.Fatalf("no invite link in the mail:\n%s", m.Raw)
	}
	inv := f.inviteState(t, id)
	if !inv.MatchesToken(commands.InviteTokenDigest(link[1])) {
		t.Error("the link's token does not open the invite")
	}
	// The secret is in the log only sealed and as a digest.
	var leaks int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%' OR data::text LIKE '%s3cret-smtp%'`,
		link[1]).Scan(&leaks); err != nil || leaks != 0 {
		t.Errorf("events holding the token or the SMTP password in clear: %d (%v)", leaks, err)
	}
}

func TestRefusedMailIsRetriedThenFailsAndCanBeResent(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t)
	ms := newMailServer(t, "", "", false)
	ms.setRefuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"})
	f.mailer(t, workers.SMTPSettings{Host: "127.0.0.1", Port: ms.Port, From: "portal@example.test", Security: "none"}, nil)
	id := f.invite(t, "friend@example.test")

	eventually(t, "the mailer gives up", func() bool { return f.inviteState(t, id).GaveUp })
	if n := f.count(t, id, domain.TypeInviteEmailFailed); n != 3 {
		t.Errorf("failed attempts recorded: got %d, want 3 (MaxAttempts)", n)
	}
	inv := f.inviteState(t, id)
	if !strings.Contains(inv.LastError, "451") {
		t.Errorf("recorded reason %q does not carry the server's answer", inv.LastError)
	}
	eventually(t, "the console lists it as failed", func() bool {
		list, err := f.reader.Invites(t.Context(), time.Now(), 10)
		return err == nil && len(list) == 1 && list[0].State == domain.InviteStateFailed
	})

	ms.setRefuse(nil)
	if _, err := f.resend.Handle(t.Context(), commands.ResendInvite{InviteID: id, Meta: domain.Metadata{Actor: "admin", ActorKind: domain.ActorAdmin}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resent mail is sent", func() bool { return f.inviteState(t, id).Sent })
	if got := ms.received(); len(got) != 1 || got[0].MessageID != "<invite-"+id+"-4@auth.example.test>" {
		t.Errorf("after resend: %d messages, want 1 with attempt 4's Message-ID", len(got))
	}
}

func TestAServerThatDropsTheConnectionLeadsToFailures(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	f.mailer(t, workers.SMTPSettings{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "portal@example.test", Security: "none"}, nil)
	id := f.invite(t, "friend@example.test")
	eventually(t, "the mailer gives up", func() bool { return f.inviteState(t, id).GaveUp })
	if n := f.count(t, id, domain.TypeInviteEmailFailed); n != 3 {
		t.Errorf("failed attempts recorded: got %d, want 3", n)
	}
}

// crashingSender stands in for a mailer process that dies: before the
// send, or after the server accepted the mail but before the outcome is
// appended. It stops the mailer (whose context it cancels) at that point.
type crashingSender struct {
	real      workers.MailSender
	afterSend bool
	crash     func()
	once      sync.Once
}

func (c *crashingSender) Send(ctx context.Context, s workers.SMTPSettings, msg *mail.Msg) error {
	crashed := false
	c.once.Do(func() { crashed = true })
	if !crashed {
		return c.real.Send(ctx, s, msg)
	}
	if c.afterSend {
		if err := c.real.Send(ctx, s, msg); err != nil {
			return err
		}
	}
	c.crash()
	<-ctx.Done()
	return ctx.Err()
}

func TestARestartNeverForgetsAMailAndResendsAnInterruptedOneAsTheSameMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		afterSend bool
		wantMails int
	}{
		{"killed before the send", false, 1},
		{"killed between the send and the append", true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newMailFixture(t)
			ms := newMailServer(t, "", "", false)
			settings := workers.SMTPSettings{Host: "127.0.0.1", Port: ms.Port, From: "portal@example.test", Security: "none"}
			crash := &crashingSender{real: workers.SMTPSender{}, afterSend: tt.afterSend}
			var stop func()
			crashed := make(chan struct{})
			crash.crash = func() { close(crashed) }
			stop = f.mailer(t, settings, crash)
			id := f.invite(t, "friend@example.test")
			<-crashed
			stop()

			inv := f.inviteState(t, id)
			if inv.InFlight != 1 || inv.Sent {
				t.Fatalf("after the crash: attempt in flight %d, sent %v; want attempt 1 in flight, not sent", inv.InFlight, inv.Sent)
			}
			f.mailer(t, settings, nil) // the restart
			eventually(t, "the restarted mailer records the mail as sent", func() bool { return f.inviteState(t, id).Sent })

			got := ms.received()
			if len(got) != tt.wantMails {
				t.Fatalf("server received %d messages, want %d", len(got), tt.wantMails)
			}
			for _, m := range got {
				if want := "<invite-" + id + "-1@auth.example.test>"; m.MessageID != want {
					t.Errorf("Message-ID %q, want every copy to be attempt 1's, %q", m.MessageID, want)
				}
			}
			if n := f.count(t, id, domain.TypeInviteEmailSending); n != 1 {
				t.Errorf("intents recorded: got %d, want 1", n)
			}
			if n := f.count(t, id, domain.TypeInviteEmailSent); n != 1 {
				t.Errorf("sent events: got %d, want 1", n)
			}
		})
	}
}
