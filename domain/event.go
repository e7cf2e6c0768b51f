package domain

import "time"

// Event is a fact that happened. Implementations are plain structs whose
// JSON encoding is their wire format in the log.
type Event interface {
	// EventType is the permanent name of the event in the log ("user.registered").
	EventType() string
	// SchemaVersion is the version of the struct's shape that EventType is written with.
	SchemaVersion() int
}

// ActorKind says what kind of party caused an event.
type ActorKind string

const (
	ActorUser      ActorKind = "user"      // a signed-in user acting for themselves
	ActorAnonymous ActorKind = "anonymous" // someone not yet signed in (a login attempt)
	ActorAdmin     ActorKind = "admin"     // an admin acting on someone else
	ActorCLI       ActorKind = "cli"       // an operator at the command line
	ActorSystem    ActorKind = "system"    // AuthPortal itself (bootstrap, sweeps, workers)
)

// Metadata travels with every event: who did it, from where, and which
// request and causal chain it belongs to. It holds no secret.
type Metadata struct {
	Actor         string    `json:"actor"`
	ActorKind     ActorKind `json:"actorKind"`
	ClientIP      string    `json:"clientIp,omitempty"`
	UserAgent     string    `json:"userAgent,omitempty"`
	RequestID     string    `json:"requestId,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	CausationID   string    `json:"causationId,omitempty"`
}

// Recorded is an event as it sits in the log.
type Recorded struct {
	Position      int64     // global, gapless, in commit order
	StreamID      string    // "user-<id>", "session-<id>", ...
	StreamVersion int64     // 1 for the stream's first event
	Type          string    // the permanent event type
	SchemaVersion int       // the version it was written with (Event is upcast to the current one)
	Event         Event     // decoded, at its current schema version
	Metadata      Metadata  //
	RecordedAt    time.Time // when the log accepted it
}

// Stream names. Aggregates live in one stream each; the prefix says which kind.
func UserStream(userID string) string         { return "user-" + userID }
func SessionStream(sessionID string) string   { return "session-" + sessionID }
func UsernameStream(normalized string) string { return "username-" + normalized }

// LoginAttemptsStream holds failed sign-ins for names that match no account,
// so that the log tells the whole story without inventing a user.
const LoginAttemptsStream = "login-attempts"
