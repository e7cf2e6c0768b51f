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
	Ended      bool
}

// Apply folds one event into the session.
func (s *Session) Apply(e Event) {
	switch e := e.(type) {
	case SessionStarted:
		*s = Session{ID: e.SessionID, UserID: e.UserID, Kind: e.Kind, Authorized: e.Authorized,
			Provider: e.Provider, Epoch: e.Epoch, MFA: e.MFA, ExpiresAt: e.ExpiresAt}
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

// Live returns nil when the session may still act for user u at now.
func (s Session) Live(u User, now time.Time) error {
	switch {
	case s.ID == "":
		return ErrSessionNotFound
	case s.Ended, !now.Before(s.ExpiresAt), s.Epoch != u.Epoch, u.Disabled:
		return ErrSessionEnded
	}
	return nil
}

// End closes the session. Ending an ended session is no events.
func (s Session) End(reason string) []Event {
	if s.Ended || s.ID == "" {
		return nil
	}
	return []Event{SessionEnded{SessionID: s.ID, UserID: s.UserID, Reason: reason, ExpiresAt: s.ExpiresAt}}
}

// CompleteMFA replaces a pending session by a full one after the second
// factor passed: the pending session ends and a new one, with a new id,
// starts, so that nothing issued before MFA carries over.
func (s Session) CompleteMFA(u User, newID string, p SessionPolicy, now time.Time) (ended []Event, started SessionStarted) {
	authorized := u.Authorized()
	started = SessionStarted{
		SessionID: newID, UserID: u.ID, Kind: SessionFull, Authorized: authorized, Provider: s.Provider,
		Epoch: u.Epoch, MFA: true, ExpiresAt: now.Add(fullTTL(authorized, p)), Replaces: s.ID,
	}
	return s.End("rotated"), started
}
