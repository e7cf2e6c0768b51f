package domain

// Event types and schema versions of the user aggregate ("user-<id>") and the
// username claim stream ("username-<name>"). The strings are permanent.
const (
	TypeUsernameClaimed       = "username.claimed"
	TypeUserRegistered        = "user.registered"
	TypeAdminGranted          = "user.admin_granted"
	TypeAdminRevoked          = "user.admin_revoked"
	TypeSessionsRevoked       = "user.sessions_revoked"
	TypeLoginSucceeded        = "user.login_succeeded"
	TypeLoginFailed           = "user.login_failed"
	TypeTOTPEnrollmentStarted = "user.totp_enrollment_started"
	TypeTOTPEnabled           = "user.totp_enabled"
	TypeTOTPUsed              = "user.totp_used"
	TypeRecoveryCodeUsed      = "user.recovery_code_used"
	TypeMFAChallengeFailed    = "user.mfa_challenge_failed"
	TypeRecoveryCodesRenewed  = "user.recovery_codes_renewed"
	TypePasswordChanged       = "user.password_changed"
	TypeTOTPReset             = "user.totp_reset"
)

// UsernameClaimed reserves a case-folded username for one user. Appended to
// the name's own stream with "no stream" expected, it is what makes usernames
// unique: a second claim finds the stream taken.
type UsernameClaimed struct {
	Username string `json:"username"` // normalized (lower case)
	UserID   string `json:"userId"`
}

// UserRegistered creates a user.
type UserRegistered struct {
	UserID   string `json:"userId"`
	Username string `json:"username"` // normalized
	Email    string `json:"email,omitempty"`
	Provider string `json:"provider"` // "local" for password accounts
	// PasswordHash is the argon2id PHC string sealed with DATA_KEY (bound to
	// the user id), so that the hash never leaves the log in clear. Rows of
	// schema v1 held it in clear; they upcast with the clear value, which
	// commands.Sealer.OpenPasswordHash still accepts.
	PasswordHash  string `json:"sealedPasswordHash,omitempty"`
	AccessGranted bool   `json:"accessGranted"` // an admin created or invited this account
}

// userRegisteredV1 is user.registered as first shipped: the hash in clear.
type userRegisteredV1 struct {
	UserID        string `json:"userId"`
	Username      string `json:"username"`
	Email         string `json:"email,omitempty"`
	Provider      string `json:"provider"`
	PasswordHash  string `json:"passwordHash,omitempty"`
	AccessGranted bool   `json:"accessGranted"`
}

func upcastUserRegisteredV1(v userRegisteredV1) Event {
	return UserRegistered{UserID: v.UserID, Username: v.Username, Email: v.Email, Provider: v.Provider,
		PasswordHash: v.PasswordHash, AccessGranted: v.AccessGranted}
}

// AdminGranted makes a user an admin.
type AdminGranted struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"` // "bootstrap", "cli", "console"
}

// AdminRevoked takes admin away.
type AdminRevoked struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"`
}

// SessionsRevoked ends every session the user holds: a session is valid only
// while its epoch equals the user's. Epoch is the new value, not an increment,
// so applying the event twice is harmless.
type SessionsRevoked struct {
	UserID string `json:"userId"`
	Epoch  int64  `json:"epoch"`
	Reason string `json:"reason"`
}

// LoginSucceeded records a first factor that passed. No longer written:
// SessionStarted says the same on the session's stream, and appending to the
// user's stream on every sign-in made it grow with the account's history.
type LoginSucceeded struct {
	UserID    string `json:"userId"`
	Provider  string `json:"provider"`
	SessionID string `json:"sessionId"`
}

// LoginFailed records a first factor that did not pass, on the
// LoginAttemptsStream, at most once per account and per client address per
// audit window (every attempt is in the server log). Reason is for the audit
// trail only; clients are told the same thing whatever it was.
type LoginFailed struct {
	UserID   string `json:"userId,omitempty"` // empty when no account matched
	Username string `json:"username"`         // the account's name; empty when none matched (what was typed is never kept)
	Provider string `json:"provider"`
	Reason   string `json:"reason"` // "bad_password", "unknown_user", "disabled"
}

// TOTPEnrollmentStarted records a fresh, not yet verified TOTP secret.
type TOTPEnrollmentStarted struct {
	UserID string `json:"userId"`
	Secret string `json:"secret"` // sealed with DATA_KEY; never the clear secret
}

// TOTPEnabled makes the pending secret the user's second factor.
type TOTPEnabled struct {
	UserID        string   `json:"userId"`
	RecoveryCodes []string `json:"recoveryCodes"` // digests, never the codes
	Step          int64    `json:"step"`          // the time step of the code that verified it
}

// TOTPUsed records an accepted TOTP code by its time step, which may never
// be accepted again.
type TOTPUsed struct {
	UserID    string `json:"userId"`
	Step      int64  `json:"step"`
	SessionID string `json:"sessionId"`
}

// RecoveryCodeUsed spends one recovery code.
type RecoveryCodeUsed struct {
	UserID    string `json:"userId"`
	Index     int    `json:"index"`
	Remaining int    `json:"remaining"` // unspent codes after this one; absolute, so readers stay idempotent
	SessionID string `json:"sessionId"`
}

// RecoveryCodesRenewed replaces the user's recovery codes with a fresh set:
// every earlier code stops working.
type RecoveryCodesRenewed struct {
	UserID        string   `json:"userId"`
	RecoveryCodes []string `json:"recoveryCodes"` // digests, never the codes
}

// MFAChallengeFailed records a wrong or replayed second factor. It goes to
// the pending session's stream (rows before that went to the user's), so a
// guesser holding a password cannot grow the user's stream.
type MFAChallengeFailed struct {
	UserID    string `json:"userId"`
	SessionID string `json:"sessionId"`
	Reason    string `json:"reason"` // "invalid", "reused"
}

// PasswordChanged replaces a local account's password.
type PasswordChanged struct {
	UserID       string `json:"userId"`
	PasswordHash string `json:"passwordHash"` // argon2id PHC string sealed with DATA_KEY; never clear, never a password
	Reason       string `json:"reason"`       // "cli", "console", "self"
}

// TOTPReset takes a user's authenticator away (pending or enabled, with its
// recovery codes), so they sign in with the first factor alone until they
// enroll again: the admin's way out for a lost device.
type TOTPReset struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"` // "cli", "console"
}

func (UsernameClaimed) EventType() string       { return TypeUsernameClaimed }
func (UserRegistered) EventType() string        { return TypeUserRegistered }
func (AdminGranted) EventType() string          { return TypeAdminGranted }
func (AdminRevoked) EventType() string          { return TypeAdminRevoked }
func (SessionsRevoked) EventType() string       { return TypeSessionsRevoked }
func (LoginSucceeded) EventType() string        { return TypeLoginSucceeded }
func (LoginFailed) EventType() string           { return TypeLoginFailed }
func (TOTPEnrollmentStarted) EventType() string { return TypeTOTPEnrollmentStarted }
func (TOTPEnabled) EventType() string           { return TypeTOTPEnabled }
func (TOTPUsed) EventType() string              { return TypeTOTPUsed }
func (RecoveryCodeUsed) EventType() string      { return TypeRecoveryCodeUsed }
func (MFAChallengeFailed) EventType() string    { return TypeMFAChallengeFailed }
func (RecoveryCodesRenewed) EventType() string  { return TypeRecoveryCodesRenewed }
func (PasswordChanged) EventType() string       { return TypePasswordChanged }
func (TOTPReset) EventType() string             { return TypeTOTPReset }

func (UsernameClaimed) SchemaVersion() int       { return 1 }
func (UserRegistered) SchemaVersion() int        { return 2 }
func (AdminGranted) SchemaVersion() int          { return 1 }
func (AdminRevoked) SchemaVersion() int          { return 1 }
func (SessionsRevoked) SchemaVersion() int       { return 1 }
func (LoginSucceeded) SchemaVersion() int        { return 1 }
func (LoginFailed) SchemaVersion() int           { return 1 }
func (TOTPEnrollmentStarted) SchemaVersion() int { return 1 }
func (TOTPEnabled) SchemaVersion() int           { return 1 }
func (TOTPUsed) SchemaVersion() int              { return 1 }
func (RecoveryCodeUsed) SchemaVersion() int      { return 1 }
func (MFAChallengeFailed) SchemaVersion() int    { return 1 }
func (RecoveryCodesRenewed) SchemaVersion() int  { return 1 }
func (PasswordChanged) SchemaVersion() int       { return 1 }
func (TOTPReset) SchemaVersion() int             { return 1 }
