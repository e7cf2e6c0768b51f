package domain

import "time"

// Session is the session aggregate, folded from its stream.
type Session struct {
	ID         string
	UserID     string
	Kind       SessionKind
	Authorized bool
	Provider   string
	Epoch      int64
	MFA        bool
	ExpiresAt  time.Time
	AuthTime   time.Time // when the password was last proved for this session
	Ended      bool
}

// Apply folds one event into the session.
func (s *Session) Apply(e Event) {
	switch e := e.(type) {
	case SessionStarted:
		*s = Session{ID: e.SessionID, UserID: e.UserID, Kind: e.Kind, Authorized: e.Authorized,
			Provider: e.Provider, Epoch: e.Epoch, MFA: e.MFA, ExpiresAt: e.ExpiresAt, AuthTime: e.AuthTime}
	case SessionEnded:
		s.Ended = true
	}
}

// FoldSession builds a session from its stream.
func FoldSession(events []Event) Session {
	var s Session
	for _, e := range events {
		s.Apply(e)
	}
	return s
}

// Live returns nil when the session may still act for user u at now
// (CheckSession).
func (s Session) Live(u User, now time.Time) error {
	if s.ID == "" {
		return ErrSessionNotFound
	}
	return CheckSession(SessionState{Epoch: s.Epoch, ExpiresAt: s.ExpiresAt, Ended: s.Ended}, u.Standing(), now)
}

// End closes the session. Ending an ended session is no events.
func (s Session) End(reason string) []Event {
	if s.Ended || s.ID == "" {
		return nil
	}
	return []Event{SessionEnded{SessionID: s.ID, UserID: s.UserID, Reason: reason, ExpiresAt: s.ExpiresAt}}
}

// EndBy closes the session for its own user (the account page's "sign
// out" of one device). Someone else's session is, to them, no session.
func (s Session) EndBy(userID, reason string) ([]Event, error) {
	if s.ID == "" || s.UserID != userID {
		return nil, ErrSessionNotFound
	}
	return s.End(reason), nil
}

// CompleteMFA replaces a pending session by a full one after the second
// factor passed: the pending session ends and a new one, with a new id,
// starts, so that nothing issued before MFA carries over.
func (s Session) CompleteMFA(u User, newID string, p SessionPolicy, now time.Time) (ended []Event, started SessionStarted) {
	return s.Rotate(u, newID, p, now)
}

// Rotate ends the session and starts its successor under a new id, at the
// user's current epoch: after MFA completes, and after a change that ended
// the user's other sessions (a new authenticator) but must keep this one.
// The successor is full and has passed MFA; the time of authentication
// carries over, since no password was asked for.
func (s Session) Rotate(u User, newID string, p SessionPolicy, now time.Time) (ended []Event, started SessionStarted) {
	authorized := u.Authorized()
	started = SessionStarted{
		SessionID: newID, UserID: u.ID, Kind: SessionFull, Authorized: authorized, Provider: s.Provider,
		Epoch: u.Epoch, MFA: true, ExpiresAt: now.Add(fullTTL(authorized, p)), Replaces: s.ID, AuthTime: s.AuthTime,
	}
	return s.End("rotated"), started
}

// OwesChallenge returns nil when the session may answer a second-factor
// challenge: it passed the password of a user with an authenticator, and
// nothing else.
func (s Session) OwesChallenge() error {
	if s.Kind != SessionMFAChallenge {
		return ErrWrongSessionKind
	}
	return nil
}

// Reissue ends the session and starts its successor under a new id at the
// user's current epoch, after the user proved their password again (a
// password change): the successor keeps whether MFA was passed and counts
// as freshly authenticated.
func (s Session) Reissue(u User, newID string, p SessionPolicy, now time.Time) (ended []Event, started SessionStarted) {
	ended, started = s.Rotate(u, newID, p, now)
	started.MFA, started.AuthTime = s.MFA, now
	return ended, started
}

// StepUpAge is how long after proving the password a full session may
// still set up or replace an authenticator without proving it again: a
// stolen session cookie alone must not register the thief's authenticator.
const StepUpAge = 5 * time.Minute

// AuthenticatedRecently reports whether the password was proved for this
// session (or at reauth, when the caller just checked it again) within
// StepUpAge of now.
func (s Session) AuthenticatedRecently(reauth, now time.Time) bool {
	at := s.AuthTime
	if reauth.After(at) {
		at = reauth
	}
	return !at.IsZero() && now.Sub(at) <= StepUpAge
}
