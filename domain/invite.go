package domain

import (
	"crypto/subtle"
	"errors"
	"net/mail"
	"strings"
	"time"
)

// InviteStream is the stream of one invite.
func InviteStream(inviteID string) string { return "invite-" + inviteID }

// Invite failures that callers branch on.
var (
	// ErrInviteNotFound is returned for a token that names no invite.
	ErrInviteNotFound = errors.New("domain: invite not found")
	// ErrInviteExpired is returned for an invite past its expiry.
	ErrInviteExpired = errors.New("domain: invite has expired")
	// ErrInviteRevoked is returned for an invite an admin revoked.
	ErrInviteRevoked = errors.New("domain: invite was revoked")
	// ErrInviteUsed is returned for an invite whose uses are spent.
	ErrInviteUsed = errors.New("domain: invite was already used")
	// ErrInviteNoMail is returned when a mail is asked for an invite that
	// sends none (a link invite) or whose mail is still under way.
	ErrInviteNoMail = errors.New("domain: invite has no mail to send")
)

// Invite roles.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Invite limits: what one admin request may write.
const (
	MaxInviteUses  = 1000
	MaxInviteHosts = 200
)

// Invite is the invite aggregate, folded from its stream.
type Invite struct {
	Created  InviteCreated
	Revoked  bool
	Uses     int
	Accepted []string // user ids

	// Mail: a round is the attempts owed since creation or the last resend.
	Round         int
	Attempt       int // attempts ever made (numbers Message-IDs)
	RoundAttempts int // attempts made in this round
	InFlight      int // an attempt with an intent and no outcome yet
	InFlightID    string
	Sent          bool // this round's mail was accepted
	GaveUp        bool // this round failed for the last time
	LastError     string
	RetryAt       time.Time // the next attempt is not due before
}

// Exists reports whether the stream held a creation.
func (i Invite) Exists() bool { return i.Created.InviteID != "" }

// Apply folds one event into the invite.
func (i *Invite) Apply(e Event) {
	switch e := e.(type) {
	case InviteCreated:
		i.Created = e
		i.Round = 1
	case InviteEmailSending:
		i.Attempt, i.InFlight, i.InFlightID = e.Attempt, e.Attempt, e.MessageID
		i.RoundAttempts++
	case InviteEmailSent:
		i.InFlight, i.InFlightID, i.Sent, i.LastError = 0, "", true, ""
	case InviteEmailFailed:
		i.InFlight, i.InFlightID, i.LastError = 0, "", e.Reason
		i.GaveUp, i.RetryAt = e.Final, e.RetryAt
	case InviteResendRequested:
		i.Round++
		i.RoundAttempts, i.Sent, i.GaveUp, i.LastError, i.RetryAt = 0, false, false, "", time.Time{}
	case InviteRevoked:
		i.Revoked = true
	case InviteAccepted:
		i.Uses = e.Uses
		i.Accepted = append(i.Accepted, e.UserID)
	}
}

// FoldInvite builds an invite from its stream.
func FoldInvite(events []Event) Invite {
	var i Invite
	for _, e := range events {
		i.Apply(e)
	}
	return i
}

// usable says why the invite cannot be used now, or nil.
func (i Invite) usable(now time.Time) error {
	switch {
	case !i.Exists():
		return ErrInviteNotFound
	case i.Revoked:
		return ErrInviteRevoked
	case i.Uses >= i.Created.MaxUses:
		return ErrInviteUsed
	case !now.Before(i.Created.ExpiresAt):
		return ErrInviteExpired
	}
	return nil
}

// Invite states, as the admin console shows them.
const (
	InviteStatePending  = "pending"  // created, mail not (yet) accepted by the SMTP server
	InviteStateSent     = "sent"     // mail accepted by the SMTP server, or a link invite
	InviteStateFailed   = "failed"   // the mailer gave up; an admin may resend
	InviteStateAccepted = "accepted" // every use spent
	InviteStateExpired  = "expired"
	InviteStateRevoked  = "revoked"
)

// State is what the console shows for the invite at now.
func (i Invite) State(now time.Time) string {
	switch err := i.usable(now); {
	case errors.Is(err, ErrInviteRevoked):
		return InviteStateRevoked
	case errors.Is(err, ErrInviteUsed):
		return InviteStateAccepted
	case errors.Is(err, ErrInviteExpired):
		return InviteStateExpired
	case i.Created.Link || i.Sent:
		return InviteStateSent
	case i.GaveUp:
		return InviteStateFailed
	}
	return InviteStatePending
}

// NewInvite is what CreateInvite needs.
type NewInvite struct {
	ID             string
	Email          string
	Role           string // "" is RoleUser
	PermissionMode string // "" is allow_all
	PermittedHosts []string
	Link           bool
	MaxUses        int // link invites: 1 to MaxInviteUses (0 is 1); email invites: always 1
	TokenDigest    string
	SealedToken    string
	ExpiresAt      time.Time
	Provision      string // "", "jellyfin" or "emby"
}

// Media servers an invite can create an account on.
var provisionable = map[string]bool{"jellyfin": true, "emby": true}

// CreateInvite decides a new invite.
func CreateInvite(in NewInvite) (InviteCreated, error) {
	email := strings.TrimSpace(in.Email)
	if email != "" {
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email || len(email) > 254 {
			return InviteCreated{}, &InvalidInputError{Field: "email", Reason: "not a plain address like name@example.com"}
		}
	} else if !in.Link {
		return InviteCreated{}, &InvalidInputError{Field: "email", Reason: "an address to send the invite to"}
	}
	role := in.Role
	if role == "" {
		role = RoleUser
	}
	if role != RoleUser && role != RoleAdmin {
		return InviteCreated{}, &InvalidInputError{Field: "role", Reason: `"user" or "admin"`}
	}
	mode := PermissionMode(in.PermissionMode)
	if mode == "" {
		mode = AllowAll
	}
	if !mode.Valid() {
		return InviteCreated{}, &InvalidInputError{Field: "permission_mode", Reason: `"allow_all" or "deny_all"`}
	}
	if len(in.PermittedHosts) > MaxInviteHosts {
		return InviteCreated{}, &InvalidInputError{Field: "permitted_hosts", Reason: "at most 200 hosts"}
	}
	for _, h := range in.PermittedHosts {
		if h == "" || len(h) > 255 {
			return InviteCreated{}, &InvalidInputError{Field: "permitted_hosts", Reason: "host ids of 1 to 255 bytes"}
		}
	}
	if in.Provision != "" && !provisionable[in.Provision] {
		return InviteCreated{}, &InvalidInputError{Field: "provision", Reason: `"jellyfin" or "emby"`}
	}
	uses := 1
	if in.Link && in.MaxUses != 0 {
		uses = in.MaxUses
	}
	if uses < 1 || uses > MaxInviteUses || (!in.Link && in.MaxUses > 1) {
		return InviteCreated{}, &InvalidInputError{Field: "max_uses", Reason: "1 to 1000, for link invites only"}
	}
	if in.ID == "" || in.TokenDigest == "" || (!in.Link && in.SealedToken == "") || in.ExpiresAt.IsZero() {
		return InviteCreated{}, &InvalidInputError{Field: "invite", Reason: "id, token and expiry are required"}
	}
	sealed := in.SealedToken
	if in.Link {
		sealed = "" // shown once to the admin; nobody needs it again
	}
	return InviteCreated{
		InviteID: in.ID, Email: email, Role: role, PermissionMode: string(mode), PermittedHosts: in.PermittedHosts,
		ExpiresAt: in.ExpiresAt.UTC(), MaxUses: uses, Link: in.Link, TokenDigest: in.TokenDigest, SealedToken: sealed,
		Provision: in.Provision,
	}, nil
}

// Revoke decides revoking the invite. Revoking one that can no longer be
// used changes nothing.
func (i Invite) Revoke(now time.Time) ([]Event, error) {
	if !i.Exists() {
		return nil, ErrInviteNotFound
	}
	if i.usable(now) != nil {
		return nil, nil
	}
	return []Event{InviteRevoked{InviteID: i.Created.InviteID}}, nil
}

// RequestResend decides a fresh round of mail for a usable email invite
// whose last round is over (sent or given up).
func (i Invite) RequestResend(now time.Time) ([]Event, error) {
	if err := i.usable(now); err != nil {
		return nil, err
	}
	if i.Created.Link || !(i.Sent || i.GaveUp) {
		return nil, ErrInviteNoMail
	}
	return []Event{InviteResendRequested{InviteID: i.Created.InviteID}}, nil
}

// MailOwed reports whether the mailer has work on this invite at now: a
// usable email invite whose round has neither been sent nor given up.
func (i Invite) MailOwed(now time.Time) bool {
	return i.usable(now) == nil && !i.Created.Link && !i.Sent && !i.GaveUp
}

// BeginMail decides the next attempt: an attempt in flight (a crash between
// its intent and its outcome) is resumed with its Message-ID and no new
// event; otherwise a new attempt's intent is returned to append first.
func (i Invite) BeginMail(now time.Time, messageID func(attempt int) string) (attempt int, id string, intent Event, err error) {
	if !i.MailOwed(now) {
		return 0, "", nil, ErrInviteNoMail
	}
	if i.InFlight != 0 {
		return i.InFlight, i.InFlightID, nil, nil
	}
	if now.Before(i.RetryAt) {
		return 0, "", nil, ErrInviteNoMail // not due yet
	}
	n := i.Attempt + 1
	id = messageID(n)
	return n, id, InviteEmailSending{InviteID: i.Created.InviteID, Attempt: n, MessageID: id}, nil
}

// MailOutcome decides what an attempt's result records: sent, or failed
// (final once the round has had maxAttempts or the failure is permanent,
// else due again at retryAt).
func (i Invite) MailOutcome(attempt int, messageID string, sendErr string, permanent bool, maxAttempts int, retryAt time.Time) Event {
	if sendErr == "" {
		return InviteEmailSent{InviteID: i.Created.InviteID, Attempt: attempt, MessageID: messageID}
	}
	f := InviteEmailFailed{InviteID: i.Created.InviteID, Attempt: attempt, Reason: sendErr, Final: permanent || i.RoundAttempts >= maxAttempts}
	if !f.Final {
		f.RetryAt = retryAt.UTC()
	}
	return f
}

// Accept decides one use of the invite by the holder of a token whose
// digest is given, for the new user userID. The digest is compared in
// constant time.
func (i Invite) Accept(digest, userID, name string, now time.Time) (InviteAccepted, error) {
	if !i.MatchesToken(digest) {
		return InviteAccepted{}, ErrInviteNotFound
	}
	if err := i.usable(now); err != nil {
		return InviteAccepted{}, err
	}
	return InviteAccepted{InviteID: i.Created.InviteID, UserID: userID, DisplayName: displayName(name), Uses: i.Uses + 1}, nil
}

// MatchesToken compares a token's digest with the invite's, in constant time.
func (i Invite) MatchesToken(digest string) bool {
	return i.Exists() && subtle.ConstantTimeCompare([]byte(digest), []byte(i.Created.TokenDigest)) == 1
}

// Usable says why the invite cannot be used at now, or nil.
func (i Invite) Usable(now time.Time) error { return i.usable(now) }
