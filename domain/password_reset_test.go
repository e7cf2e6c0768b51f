package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
)

func TestPasswordResetLink(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	requested := domain.PasswordResetRequested{UserID: "u1", Email: "ada@example.com", ExpiresAt: now.Add(domain.PasswordResetTTL),
		TokenDigest: "d", SealedToken: "s"}
	for _, tc := range []struct {
		name   string
		events []domain.Event
		at     time.Time
		want   error
		owed   bool
	}{
		{"fresh", []domain.Event{requested}, now, nil, true},
		{"no such reset", nil, now, domain.ErrResetNotFound, false},
		{"an hour later", []domain.Event{requested}, now.Add(time.Hour), domain.ErrResetExpired, false},
		{"used", []domain.Event{requested, domain.PasswordResetUsed{UserID: "u1"}}, now, domain.ErrResetUsed, false},
		{"mailed", []domain.Event{requested, domain.PasswordResetEmailSending{Attempt: 1, MessageID: "m1"}, domain.PasswordResetEmailSent{Attempt: 1, MessageID: "m1"}}, now, nil, false},
		{"mail failed for good", []domain.Event{requested, domain.PasswordResetEmailSending{Attempt: 1}, domain.PasswordResetEmailFailed{Attempt: 1, Final: true}}, now, nil, false},
		{"mail to retry", []domain.Event{requested, domain.PasswordResetEmailSending{Attempt: 1}, domain.PasswordResetEmailFailed{Attempt: 1, RetryAt: now}}, now, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r domain.PasswordReset
			for _, e := range tc.events {
				r.Apply(e)
			}
			_, err := r.Use(tc.at)
			if !errors.Is(err, tc.want) {
				t.Errorf("Use: got %v, want %v", err, tc.want)
			}
			if got := r.MailOwed(tc.at); got != tc.owed {
				t.Errorf("MailOwed: got %v, want %v", got, tc.owed)
			}
		})
	}
}

func TestPasswordResetMailAttempts(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var r domain.PasswordReset
	r.Apply(domain.PasswordResetRequested{UserID: "u1", Email: "ada@example.com", ExpiresAt: now.Add(time.Hour)})
	id := func(n int) string { return "m" + string(rune('0'+n)) }
	n, mid, intent, err := r.BeginMail(now, id)
	if err != nil || n != 1 || mid != "m1" || intent == nil {
		t.Fatalf("first attempt: %d %q %v %v", n, mid, intent, err)
	}
	r.Apply(intent)
	// A crash between intent and outcome: the same attempt again, no new intent.
	if n, mid, intent, err := r.BeginMail(now, id); err != nil || n != 1 || mid != "m1" || intent != nil {
		t.Errorf("resumed attempt: %d %q %v %v; want 1 m1 without an intent", n, mid, intent, err)
	}
	failed := r.MailOutcome(1, "m1", "451 try later", false, 2, now.Add(time.Minute))
	if f, ok := failed.(domain.PasswordResetEmailFailed); !ok || f.Final || !f.RetryAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("first failure: %#v; want a retry at +1m", failed)
	}
	r.Apply(failed)
	if _, _, _, err := r.BeginMail(now, id); !errors.Is(err, domain.ErrResetNoMail) {
		t.Errorf("before the retry is due: %v, want ErrResetNoMail", err)
	}
	n, _, intent, _ = r.BeginMail(now.Add(time.Minute), id)
	r.Apply(intent)
	if f, ok := r.MailOutcome(n, "m2", "451 try later", false, 2, now).(domain.PasswordResetEmailFailed); !ok || !f.Final {
		t.Errorf("the last attempt's failure is not final")
	}
}
