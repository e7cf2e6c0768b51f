package domain

import "time"

// Event types of a password reset ("pwreset-<token digest>"). The strings are permanent.
const (
	TypePasswordResetRequested    = "password_reset.requested"
	TypePasswordResetEmailSending = "password_reset.email_sending"
	TypePasswordResetEmailSent    = "password_reset.email_sent"
	TypePasswordResetEmailFailed  = "password_reset.email_failed"
	TypePasswordResetUsed         = "password_reset.used"
)

// PasswordResetRequested is a "forgot your password" that matched a local
// account. Its stream is named for the token's digest (the lookup); the
// token itself is sealed with DATA_KEY for the mailer, never in clear.
type PasswordResetRequested struct {
	UserID      string    `json:"userId"`
	Email       string    `json:"email"`
	ExpiresAt   time.Time `json:"expiresAt"`
	TokenDigest string    `json:"tokenDigest"`
	SealedToken string    `json:"sealedToken"`
}

// PasswordResetEmailSending is the mailer's intent, as for invites.
type PasswordResetEmailSending struct {
	Attempt   int    `json:"attempt"`
	MessageID string `json:"messageId"`
}

// PasswordResetEmailSent records that the SMTP server accepted the mail.
type PasswordResetEmailSent struct {
	Attempt   int    `json:"attempt"`
	MessageID string `json:"messageId"`
}

// PasswordResetEmailFailed records a failed attempt; Final: no more tries.
type PasswordResetEmailFailed struct {
	Attempt int       `json:"attempt"`
	Reason  string    `json:"reason"` // the server's answer or the network error, never a secret
	Final   bool      `json:"final"`
	RetryAt time.Time `json:"retryAt,omitzero"`
}

// PasswordResetUsed spends the reset: the password was changed with it.
type PasswordResetUsed struct {
	UserID string `json:"userId"`
}

func (PasswordResetRequested) EventType() string    { return TypePasswordResetRequested }
func (PasswordResetEmailSending) EventType() string { return TypePasswordResetEmailSending }
func (PasswordResetEmailSent) EventType() string    { return TypePasswordResetEmailSent }
func (PasswordResetEmailFailed) EventType() string  { return TypePasswordResetEmailFailed }
func (PasswordResetUsed) EventType() string         { return TypePasswordResetUsed }

func (PasswordResetRequested) SchemaVersion() int    { return 1 }
func (PasswordResetEmailSending) SchemaVersion() int { return 1 }
func (PasswordResetEmailSent) SchemaVersion() int    { return 1 }
func (PasswordResetEmailFailed) SchemaVersion() int  { return 1 }
func (PasswordResetUsed) SchemaVersion() int         { return 1 }
