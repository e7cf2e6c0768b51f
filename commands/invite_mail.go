package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// StartInviteMail is the mailer's step before it talks to the SMTP server:
// it records the intent of the next attempt (or finds one a crash left
// without an outcome) and hands over what the mail needs.
type StartInviteMail struct {
	InviteID  string
	MessageID func(attempt int) string // the Message-ID of an attempt, derived from the invite and the attempt
	Meta      domain.Metadata
}

// InviteMail is one attempt to send an invite.
type InviteMail struct {
	Result
	Owed      bool // false: nothing to send (sent, given up, revoked, used, expired)
	Attempt   int
	MessageID string
	Resumed   bool // the attempt's intent was already in the log: a crash came between it and its outcome
	Email     string
	Token     string // in clear, for the link in the mail only
	Invite    domain.Invite
}

// StartInviteMailHandler handles StartInviteMail.
type StartInviteMailHandler struct {
	store  Store
	sealer *Sealer
	now    Clock
}

// NewStartInviteMailHandler panics on a nil dependency.
func NewStartInviteMailHandler(store Store, sealer *Sealer, now Clock) StartInviteMailHandler {
	if store == nil || sealer == nil || now == nil {
		panic("commands.NewStartInviteMailHandler: nil dependency")
	}
	return StartInviteMailHandler{store: store, sealer: sealer, now: now}
}

// Handle appends invite.email_sending for a new attempt; two mailers racing
// for the same attempt meet at the invite stream's expected version, and
// the loser finds the winner's intent.
func (h StartInviteMailHandler) Handle(ctx context.Context, cmd StartInviteMail) (InviteMail, error) {
	return retry(ctx, "start invite mail", func() (InviteMail, error) {
		inv, version, err := loadInvite(ctx, h.store, cmd.InviteID)
		if err != nil {
			return InviteMail{}, err
		}
		attempt, id, intent, err := inv.BeginMail(h.now(), cmd.MessageID)
		if errors.Is(err, domain.ErrInviteNoMail) {
			return InviteMail{Invite: inv}, nil
		}
		if err != nil {
			return InviteMail{}, err
		}
		token, err := h.sealer.Open(inv.Created.SealedToken, domain.InviteStream(inv.Created.InviteID))
		if err != nil {
			return InviteMail{}, fmt.Errorf("invite-%s token: %w", inv.Created.InviteID, err)
		}
		out := InviteMail{Owed: true, Attempt: attempt, MessageID: id, Resumed: intent == nil, Email: inv.Created.Email,
			Token: string(token), Invite: inv}
		if intent != nil {
			res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.InviteStream(cmd.InviteID), Expected: eventstore.Exactly(version), Events: []domain.Event{intent}})
			if err != nil {
				return InviteMail{}, err
			}
			out.Position = res.LastPosition
			out.Invite.Apply(intent)
		}
		return out, nil
	})
}

// RecordInviteMail records an attempt's outcome.
type RecordInviteMail struct {
	InviteID    string
	Attempt     int
	MessageID   string
	Error       string    // "" when the SMTP server accepted the mail
	Permanent   bool      // the server refused for good (5xx): no retry
	MaxAttempts int       // per round; the failure of the last one is final
	RetryAt     time.Time // when a failure that is not final is due again
	Meta        domain.Metadata
}

// RecordInviteMailHandler handles RecordInviteMail.
type RecordInviteMailHandler struct {
	store Store
}

// NewRecordInviteMailHandler panics on a nil dependency.
func NewRecordInviteMailHandler(store Store) RecordInviteMailHandler {
	if store == nil {
		panic("commands.NewRecordInviteMailHandler: nil dependency")
	}
	return RecordInviteMailHandler{store: store}
}

// Handle appends invite.email_sent or invite.email_failed for the attempt
// in flight; an attempt already recorded (by another node) changes nothing.
// The failed event reports whether the round is over.
func (h RecordInviteMailHandler) Handle(ctx context.Context, cmd RecordInviteMail) (domain.Event, Result, error) {
	var outcome domain.Event
	res, err := changeInvite(ctx, h.store, "record invite mail", cmd.InviteID, cmd.Meta, func(inv domain.Invite) ([]domain.Event, error) {
		if inv.InFlight != cmd.Attempt {
			outcome = nil
			return nil, nil
		}
		outcome = inv.MailOutcome(cmd.Attempt, cmd.MessageID, cmd.Error, cmd.Permanent, cmd.MaxAttempts, cmd.RetryAt)
		return []domain.Event{outcome}, nil
	})
	return outcome, res, err
}
