package domain

import (
	"errors"
	"time"
)

// PasswordResetStream is a reset's stream, named for its token's digest:
// whoever holds the link finds the reset without any lookup table.
func PasswordResetStream(tokenDigest string) string { return "pwreset-" + tokenDigest }

// PasswordResetTTL is how long a reset link works.
const PasswordResetTTL = time.Hour

var (
	// ErrResetNotFound: no reset has this token.
	ErrResetNotFound = errors.New("domain: password reset not found")
	// ErrResetExpired: the link is older than PasswordResetTTL.
	ErrResetExpired = errors.New("domain: password reset has expired")
	// ErrResetUsed: the link already changed the password once.
	ErrResetUsed = errors.New("domain: password reset was already used")
	// ErrResetNoMail: no mail is owed now (sent, given up, spent, or not due).
	ErrResetNoMail = errors.New("domain: password reset has no mail to send")
)

// PasswordReset is one reset link's state, including its mail's, which
// follows the invite mail's rules (intent, send, outcome, retries).
type PasswordReset struct {
	Requested PasswordResetRequested
	Used      bool

	Attempt    int // attempts made (numbers Message-IDs)
	InFlight   int // an attempt with an intent and no outcome yet
	InFlightID string
	Sent       bool
	GaveUp     bool
	RetryAt    time.Time
}

// Exists reports whether the stream held a request.
func (r PasswordReset) Exists() bool { return r.Requested.UserID != "" }

// Apply folds one event.
func (r *PasswordReset) Apply(e Event) {
	switch e := e.(type) {
	case PasswordResetRequested:
		r.Requested = e
	case PasswordResetEmailSending:
		r.Attempt, r.InFlight, r.InFlightID = e.Attempt, e.Attempt, e.MessageID
	case PasswordResetEmailSent:
		r.InFlight, r.InFlightID, r.Sent = 0, "", true
	case PasswordResetEmailFailed:
		r.InFlight, r.InFlightID, r.GaveUp, r.RetryAt = 0, "", e.Final, e.RetryAt
	case PasswordResetUsed:
		r.Used = true
	}
}

// Usable says why the link cannot change the password now, or nil.
func (r PasswordReset) Usable(now time.Time) error {
	switch {
	case !r.Exists():
		return ErrResetNotFound
	case r.Used:
		return ErrResetUsed
	case !now.Before(r.Requested.ExpiresAt):
		return ErrResetExpired
	}
	return nil
}

// Use spends the link; the caller appends it with the password change.
func (r PasswordReset) Use(now time.Time) ([]Event, error) {
	if err := r.Usable(now); err != nil {
		return nil, err
	}
	return []Event{PasswordResetUsed{UserID: r.Requested.UserID}}, nil
}

// MailOwed reports whether the mailer still has to send this reset's mail:
// a link that can no longer be used is not worth a mail.
func (r PasswordReset) MailOwed(now time.Time) bool {
	return r.Usable(now) == nil && !r.Sent && !r.GaveUp
}

// BeginMail is the next attempt: its number, Message-ID and intent, or the
// attempt a crash interrupted (intent nil: send it again as it was).
// ErrResetNoMail when nothing is owed or the retry is not due yet.
func (r PasswordReset) BeginMail(now time.Time, messageID func(attempt int) string) (attempt int, id string, intent Event, err error) {
	if !r.MailOwed(now) {
		return 0, "", nil, ErrResetNoMail
	}
	if r.InFlight != 0 {
		return r.InFlight, r.InFlightID, nil, nil
	}
	if now.Before(r.RetryAt) {
		return 0, "", nil, ErrResetNoMail
	}
	n := r.Attempt + 1
	id = messageID(n)
	return n, id, PasswordResetEmailSending{Attempt: n, MessageID: id}, nil
}

// MailOutcome is the event that records an attempt's result.
func (r PasswordReset) MailOutcome(attempt int, messageID, sendErr string, permanent bool, maxAttempts int, retryAt time.Time) Event {
	if sendErr == "" {
		return PasswordResetEmailSent{Attempt: attempt, MessageID: messageID}
	}
	f := PasswordResetEmailFailed{Attempt: attempt, Reason: sendErr, Final: permanent || attempt >= maxAttempts}
	if !f.Final {
		f.RetryAt = retryAt.UTC()
	}
	return f
}
