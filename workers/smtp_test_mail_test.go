package workers_test

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/workers"
	"github.com/emersion/go-smtp"
)

func testMailer(s workers.SMTPSettings) workers.TestMailer {
	return workers.TestMailer{Settings: workers.StaticMailSettings(s), Sender: workers.SMTPSender{Timeout: 10 * time.Second},
		SiteName: "auth.example.test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
}

// closedPort is a port nothing listens on any more.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestTestMailReportsTheServersAnswer(t *testing.T) {
	t.Parallel()
	ms := newMailServer(t, "mailer", "s3cret-smtp", true)
	ok, answer, err := testMailer(workers.SMTPSettings{Host: "127.0.0.1", Port: ms.Port, Username: "mailer", Password: "s3cret-smtp",
		From: "portal@example.test", Security: "starttls", TLS: &tls.Config{RootCAs: ms.CertPool, ServerName: "127.0.0.1"}}).
		SendTestMail(t.Context(), "admin@example.test")
	if err != nil || !ok {
		t.Fatalf("SendTestMail: ok %v, answer %q, err %v; want ok", ok, answer, err)
	}
	// go-smtp answers "250 2.0.0 OK: queued" to the message's end.
	if !strings.Contains(answer, "queued") {
		t.Errorf("answer %q: want the server's reply", answer)
	}
	got := ms.received()
	if len(got) != 1 || got[0].To != "admin@example.test" || !got[0].TLS || !strings.Contains(got[0].Raw, "Test mail from auth.example.test") {
		t.Fatalf("server received %+v; want one test mail to admin@example.test over TLS", got)
	}
}

func TestTestMailSaysWhatWentWrong(t *testing.T) {
	t.Parallel()
	refusing := newMailServer(t, "", "", false)
	refusing.setRefuse(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"})
	authing := newMailServer(t, "mailer", "right-password", false)
	plain := newMailServer(t, "", "", false)
	dropping, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropping.Close() })
	go func() {
		for {
			c, err := dropping.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	none := func(port int) workers.SMTPSettings {
		return workers.SMTPSettings{Host: "127.0.0.1", Port: port, From: "portal@example.test", Security: "none"}
	}
	wrongPassword := none(authing.Port)
	wrongPassword.Username, wrongPassword.Password = "mailer", "wrong-pass-do-not-show"
	for _, tc := range []struct {
		name     string
		settings workers.SMTPSettings
		want     string
	}{
		{"refused recipient", none(refusing.Port), "refused the message"},
		{"wrong password", wrongPassword, "did not accept the username and password"},
		{"nothing listening", none(closedPort(t)), "could not be reached"},
		{"connection dropped", none(dropping.Addr().(*net.TCPAddr).Port), "could not be reached"},
		{"no STARTTLS offered", workers.SMTPSettings{Host: "127.0.0.1", Port: plain.Port, From: "portal@example.test", Security: "starttls"}, "does not offer STARTTLS"},
		{"not configured", workers.SMTPSettings{}, "No mail server is configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, answer, err := testMailer(tc.settings).SendTestMail(t.Context(), "admin@example.test")
			if err != nil || ok {
				t.Fatalf("SendTestMail: ok %v, err %v; want a failure told in the answer", ok, err)
			}
			if !strings.Contains(answer, tc.want) {
				t.Errorf("answer %q: want it to say %q", answer, tc.want)
			}
			if strings.Contains(answer, "wrong-pass-do-not-show") {
				t.Errorf("answer %q holds the password", answer)
			}
		})
	}
	if n := len(refusing.received()) + len(authing.received()) + len(plain.received()); n != 0 {
		t.Errorf("%d messages were accepted; want none", n)
	}
}
