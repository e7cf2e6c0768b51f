package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// ResetMail is one attempt to send a reset's mail (as InviteMail).
type ResetMail struct {
	Owed      bool
	Attempt   int
	MessageID string
	Resumed   bool
	Email     string
	Token     string // in clear, for the link in the mail only
	Reset     domain.PasswordReset
}

// ResetMailHandler records the reset mailer's intents and outcomes on the
// reset's stream, the same three steps as invite mail.
type ResetMailHandler struct {
	store  Store
	sealer *Sealer
	now    Clock
}

// NewResetMailHandler panics on a nil dependency.
func NewResetMailHandler(store Store, sealer *Sealer, now Clock) ResetMailHandler {
	if store == nil || sealer == nil || now == nil {
		panic("commands.NewResetMailHandler: nil dependency")
	}
	return ResetMailHandler{store: store, sealer: sealer, now: now}
}

func (h ResetMailHandler) load(ctx context.Context, stream string) (domain.PasswordReset, int64, error) {
	events, version, err := h.store.Load(ctx, stream)
	if err != nil {
		return domain.PasswordReset{}, 0, fmt.Errorf("load %s: %w", stream, err)
	}
	var r domain.PasswordReset
	for _, e := range events {
		r.Apply(e)
	}
	return r, version, nil
}

// Start appends password_reset.email_sending for the next attempt of the
// reset in stream (or finds the one a crash left without an outcome).
func (h ResetMailHandler) Start(ctx context.Context, stream string, messageID func(int) string, meta domain.Metadata) (ResetMail, error) {
	return retry(ctx, "start reset mail", func() (ResetMail, error) {
		r, version, err := h.load(ctx, stream)
		if err != nil {
			return ResetMail{}, err
		}
		attempt, id, intent, err := r.BeginMail(h.now(), messageID)
		if errors.Is(err, domain.ErrResetNoMail) {
			return ResetMail{Reset: r}, nil
		}
		if err != nil {
			return ResetMail{}, err
		}
		token, err := h.sealer.Open(r.Requested.SealedToken, stream)
		if err != nil {
			return ResetMail{}, fmt.Errorf("%s token: %w", stream, ErrUnseal)
		}
		out := ResetMail{Owed: true, Attempt: attempt, MessageID: id, Resumed: intent == nil, Email: r.Requested.Email, Token: string(token), Reset: r}
		if intent != nil {
			if _, err := h.store.Append(ctx, meta, eventstore.Append{StreamID: stream, Expected: eventstore.Exactly(version), Events: []domain.Event{intent}}); err != nil {
				return ResetMail{}, err
			}
			out.Reset.Apply(intent)
		}
		return out, nil
	})
}

// Record appends the outcome of the attempt in flight; an attempt already
// recorded changes nothing (nil event).
func (h ResetMailHandler) Record(ctx context.Context, stream string, attempt int, messageID, sendErr string, permanent bool,
	maxAttempts int, retryAt time.Time, meta domain.Metadata) (domain.Event, error) {
	return retry(ctx, "record reset mail", func() (domain.Event, error) {
		r, version, err := h.load(ctx, stream)
		if err != nil {
			return nil, err
		}
		if r.InFlight != attempt {
			return nil, nil
		}
		outcome := r.MailOutcome(attempt, messageID, sendErr, permanent, maxAttempts, retryAt)
		if _, err := h.store.Append(ctx, meta, eventstore.Append{StreamID: stream, Expected: eventstore.Exactly(version), Events: []domain.Event{outcome}}); err != nil {
			return nil, err
		}
		return outcome, nil
	})
}
