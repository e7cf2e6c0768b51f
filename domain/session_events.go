package domain

import "time"

// Event types of the session aggregate ("session-<id>").
const (
	TypeSessionStarted = "session.started"
	TypeSessionEnded   = "session.ended"
)

// SessionKind says what a session may do.
type SessionKind string

const (
	// SessionFull may do everything its user may.
	SessionFull SessionKind = "full"
	// SessionMFAChallenge holds a passed first factor for an enrolled user; it
	// may only answer the challenge.
	SessionMFAChallenge SessionKind = "mfa_challenge"
	// SessionMFAEnroll holds a passed first factor for a user who must enroll
	// (MFA_ENFORCE) and has no authenticator yet; it may only enroll.
	SessionMFAEnroll SessionKind = "mfa_enroll"
)

// Pending reports whether the session still owes a second factor.
func (k SessionKind) Pending() bool { return k == SessionMFAChallenge || k == SessionMFAEnroll }

// SessionStarted opens a session.
type SessionStarted struct {
	SessionID  string      `json:"sessionId"`
	UserID     string      `json:"userId"`
	Kind       SessionKind `json:"kind"`
	Authorized bool        `json:"authorized"` // the user may enter protected apps
	Provider   string      `json:"provider"`
	Epoch      int64       `json:"epoch"` // the user's session epoch when it started
	MFA        bool        `json:"mfa"`   // a second factor was passed
	ExpiresAt  time.Time   `json:"expiresAt"`
	Replaces   string      `json:"replaces,omitempty"` // the pending session this one rotated
	// AuthTime is when the user last proved their password for this chain
	// of sessions: a rotation keeps it. Sensitive changes (a new
	// authenticator) ask for the password again once it is old. Zero on v1
	// rows, which therefore always ask.
	AuthTime time.Time `json:"authTime"`
}

// sessionStartedV1 is session.started before AuthTime.
type sessionStartedV1 struct {
	SessionID  string      `json:"sessionId"`
	UserID     string      `json:"userId"`
	Kind       SessionKind `json:"kind"`
	Authorized bool        `json:"authorized"`
	Provider   string      `json:"provider"`
	Epoch      int64       `json:"epoch"`
	MFA        bool        `json:"mfa"`
	ExpiresAt  time.Time   `json:"expiresAt"`
	Replaces   string      `json:"replaces,omitempty"`
}

func upcastSessionStartedV1(v sessionStartedV1) Event {
	return SessionStarted{SessionID: v.SessionID, UserID: v.UserID, Kind: v.Kind, Authorized: v.Authorized,
		Provider: v.Provider, Epoch: v.Epoch, MFA: v.MFA, ExpiresAt: v.ExpiresAt, Replaces: v.Replaces}
}

// SessionEnded closes a session for good.
type SessionEnded struct {
	SessionID string    `json:"sessionId"`
	UserID    string    `json:"userId"`
	Reason    string    `json:"reason"`    // "logout", "rotated"
	ExpiresAt time.Time `json:"expiresAt"` // when it would have expired; readers may forget it after
}

func (SessionStarted) EventType() string { return TypeSessionStarted }
func (SessionEnded) EventType() string   { return TypeSessionEnded }

func (SessionStarted) SchemaVersion() int { return 2 }
func (SessionEnded) SchemaVersion() int   { return 1 }
