package domain

// Decisions an operator takes on someone else's account: a new password, a
// lost authenticator, sessions to end. Each ends the sessions the user
// holds, because whoever knew the old password or held the old device may
// be the one holding them.

// ChangePassword replaces a local account's password with sealedHash (the
// argon2id PHC string sealed with DATA_KEY) and ends the user's sessions.
func (u User) ChangePassword(sealedHash, reason string) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	if u.Provider != "local" {
		return nil, &InvalidInputError{Field: "user", Reason: "only local accounts have a password here; " + u.Provider + " accounts sign in with " + u.Provider}
	}
	if sealedHash == "" {
		return nil, &InvalidInputError{Field: "password", Reason: "no hash given"}
	}
	return []Event{
		PasswordChanged{UserID: u.ID, PasswordHash: sealedHash, Reason: reason},
		SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "password_changed"},
	}, nil
}

// ResetTOTP removes the user's authenticator, enabled or half-enrolled, with
// its recovery codes, and ends their sessions. A user with nothing to reset
// gets no events.
func (u User) ResetTOTP(reason string) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	if !u.TOTP.Enabled && u.TOTP.PendingSecret == "" {
		return nil, nil
	}
	return []Event{
		TOTPReset{UserID: u.ID, Reason: reason},
		SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "mfa_reset"},
	}, nil
}

// RevokeSessions ends every session the user holds.
func (u User) RevokeSessions() ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	return []Event{SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "revoked"}}, nil
}
