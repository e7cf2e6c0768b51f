package domain

import "time"

// Standing is what the rules need to know of a user to judge a session or
// their access. The write side reads it from the user's stream
// (User.Standing), the hot path from the in-memory access model; both ask
// the rules below rather than deciding again.
type Standing struct {
	Admin         bool
	AccessGranted bool
	MediaAccess   bool // a media server says the user has access to it now
	Disabled      bool
	Epoch         int64 // sessions started under another epoch are revoked
}

// Authorized reports whether the user may enter protected apps: not
// disabled, and an admin, the holder of an account an admin created or
// invited, or a media-server user with access to the server now.
func (s Standing) Authorized() bool {
	return !s.Disabled && (s.Admin || s.AccessGranted || s.MediaAccess)
}

// SessionState is what is known of one session: the epoch its user had when
// it started, when it expires, and whether it was ended.
type SessionState struct {
	Epoch     int64
	ExpiresAt time.Time
	Ended     bool
}

// CheckSession is the one rule for whether a session may act at now for a
// user of standing st: it has not ended or expired, its user's sessions were
// not revoked since it started, and its user is not disabled. It returns
// nil or ErrSessionEnded.
func CheckSession(s SessionState, st Standing, now time.Time) error {
	if s.Ended || !now.Before(s.ExpiresAt) || s.Epoch != st.Epoch || st.Disabled {
		return ErrSessionEnded
	}
	return nil
}
