package domain

import "time"

// Event types of the invite aggregate ("invite-<id>"). The strings are permanent.
const (
	TypeInviteCreated         = "invite.created"
	TypeInviteEmailSending    = "invite.email_sending"
	TypeInviteEmailSent       = "invite.email_sent"
	TypeInviteEmailFailed     = "invite.email_failed"
	TypeInviteResendRequested = "invite.resend_requested"
	TypeInviteRevoked         = "invite.revoked"
	TypeInviteAccepted        = "invite.accepted"
)

// InviteCreated is an admin's invitation: who (an email, or anyone holding a
// link), with which role and host permissions, until when. The secret of its
// link is in the log only as a digest (for lookup) and sealed with DATA_KEY
// (for the mailer); never in clear.
type InviteCreated struct {
	InviteID       string    `json:"inviteId"`
	Email          string    `json:"email,omitempty"` // empty for a link invite without an address
	Role           string    `json:"role"`            // "admin" or "user"
	PermissionMode string    `json:"permissionMode"`  // "allow_all" or "deny_all"
	PermittedHosts []string  `json:"permittedHosts,omitempty"`
	ExpiresAt      time.Time `json:"expiresAt"`
	MaxUses        int       `json:"maxUses"` // 1 for an email invite
	Link           bool      `json:"link"`    // a shareable link shown once to the admin; no mail is sent
	TokenDigest    string    `json:"tokenDigest"`
	SealedToken    string    `json:"sealedToken,omitempty"` // email invites only, for the mailer
	// Provision names the media server ("jellyfin" or "emby") on which
	// accepting also creates the friend's account; empty for none.
	Provision string `json:"provision,omitempty"`
}

// InviteEmailSending is the mailer's intent, appended before it talks to
// the SMTP server. An intent without an outcome after a crash is resent
// with the same Message-ID (see workers/invite_mailer.go).
type InviteEmailSending struct {
	InviteID  string `json:"inviteId"`
	Attempt   int    `json:"attempt"`
	MessageID string `json:"messageId"`
}

// InviteEmailSent records that the SMTP server accepted the invite's mail.
type InviteEmailSent struct {
	InviteID  string `json:"inviteId"`
	Attempt   int    `json:"attempt"`
	MessageID string `json:"messageId"`
}

// InviteEmailFailed records an attempt the SMTP server refused or that
// could not reach it. Final means the mailer gave up; an admin may resend.
type InviteEmailFailed struct {
	InviteID string    `json:"inviteId"`
	Attempt  int       `json:"attempt"`
	Reason   string    `json:"reason"` // the server's answer or the network error, never a secret
	Final    bool      `json:"final"`
	RetryAt  time.Time `json:"retryAt,omitzero"` // when the next attempt is due; zero when final
}

// InviteResendRequested asks the mailer for a fresh round of attempts.
type InviteResendRequested struct {
	InviteID string `json:"inviteId"`
}

// InviteRevoked makes an invite unusable.
type InviteRevoked struct {
	InviteID string `json:"inviteId"`
}

// InviteAccepted records one use of an invite: the account it created.
type InviteAccepted struct {
	InviteID    string `json:"inviteId"`
	UserID      string `json:"userId"`
	DisplayName string `json:"displayName,omitempty"`
	Uses        int    `json:"uses"` // absolute, so readers stay idempotent
}

func (InviteCreated) EventType() string         { return TypeInviteCreated }
func (InviteEmailSending) EventType() string    { return TypeInviteEmailSending }
func (InviteEmailSent) EventType() string       { return TypeInviteEmailSent }
func (InviteEmailFailed) EventType() string     { return TypeInviteEmailFailed }
func (InviteResendRequested) EventType() string { return TypeInviteResendRequested }
func (InviteRevoked) EventType() string         { return TypeInviteRevoked }
func (InviteAccepted) EventType() string        { return TypeInviteAccepted }

func (InviteCreated) SchemaVersion() int         { return 1 }
func (InviteEmailSending) SchemaVersion() int    { return 1 }
func (InviteEmailSent) SchemaVersion() int       { return 1 }
func (InviteEmailFailed) SchemaVersion() int     { return 1 }
func (InviteResendRequested) SchemaVersion() int { return 1 }
func (InviteRevoked) SchemaVersion() int         { return 1 }
func (InviteAccepted) SchemaVersion() int        { return 1 }
