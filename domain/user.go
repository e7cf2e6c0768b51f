package domain

import (
	"crypto/subtle"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// User is the user aggregate, folded from its stream.
type User struct {
	ID           string
	Username     string
	Email        string
	Provider     string
	PasswordHash string // from UserRegistered, or sealed with DATA_KEY once a PasswordChanged replaced it
	// PasswordGeneration counts password changes: what a device cookie was
	// issued under, so that a change makes the devices known before it
	// strangers again.
	PasswordGeneration int
	Admin              bool
	AccessGranted      bool
	Disabled           bool
	Epoch              int64 // sessions started under another epoch are revoked
	TOTP               TOTP
	MediaAccess        bool                      // a media server said the user has access (MediaAccessGranted)
	Identities         map[string]LinkedIdentity // by provider: outside accounts that sign in as this user
	Permissions        Permissions               // forward auth: mode and host exceptions
}

// TOTP is a user's second factor.
type TOTP struct {
	PendingSecret string // sealed; set between enrollment start and verify
	Secret        string // sealed; set once enabled
	Enabled       bool
	LastStep      int64    // the highest time step ever accepted; never accepted again
	RecoveryCodes []string // digests
	UsedCodes     map[int]bool
}

// Exists reports whether the stream held a registration.
func (u User) Exists() bool { return u.ID != "" }

// Standing is what the access rules need to know of u.
func (u User) Standing() Standing {
	return Standing{Admin: u.Admin, AccessGranted: u.AccessGranted, MediaAccess: u.MediaAccess, Disabled: u.Disabled, Epoch: u.Epoch}
}

// Authorized reports whether the user may enter protected apps (Standing.Authorized).
func (u User) Authorized() bool { return u.Standing().Authorized() }

// RecoveryCodesLeft counts unspent recovery codes.
func (u User) RecoveryCodesLeft() int { return len(u.TOTP.RecoveryCodes) - len(u.TOTP.UsedCodes) }

// Apply folds one event into the user.
func (u *User) Apply(e Event) {
	switch e := e.(type) {
	case UserRegistered:
		u.ID, u.Username, u.Email, u.Provider = e.UserID, e.Username, e.Email, e.Provider
		u.PasswordHash, u.AccessGranted = e.PasswordHash, e.AccessGranted
	case IdentityLinked:
		if u.Identities == nil {
			u.Identities = map[string]LinkedIdentity{}
		}
		u.Identities[e.Provider] = LinkedIdentity{Provider: e.Provider, Subject: e.Subject, Username: e.Username, Token: e.Token}
	case IdentityUnlinked:
		delete(u.Identities, e.Provider)
	case IdentityTokenRefreshed:
		if linked, ok := u.Identities[e.Provider]; ok {
			linked.Token = e.Token
			u.Identities[e.Provider] = linked
		}
	case MediaAccessGranted:
		u.MediaAccess = true
	case MediaAccessRevoked:
		u.MediaAccess = false
	case AdminGranted:
		u.Admin = true
	case AdminRevoked:
		u.Admin = false
	case SessionsRevoked:
		u.Epoch = e.Epoch
	case TOTPEnrollmentStarted:
		u.TOTP.PendingSecret = e.Secret
	case TOTPEnabled:
		u.TOTP = TOTP{
			Secret:        u.TOTP.PendingSecret,
			Enabled:       true,
			LastStep:      e.Step,
			RecoveryCodes: e.RecoveryCodes,
			UsedCodes:     map[int]bool{},
		}
	case TOTPUsed:
		u.TOTP.LastStep = max(u.TOTP.LastStep, e.Step)
	case RecoveryCodesRenewed:
		u.TOTP.RecoveryCodes, u.TOTP.UsedCodes = e.RecoveryCodes, map[int]bool{}
	case RecoveryCodeUsed:
		if u.TOTP.UsedCodes == nil {
			u.TOTP.UsedCodes = map[int]bool{}
		}
		u.TOTP.UsedCodes[e.Index] = true
	case PasswordChanged:
		u.PasswordHash = e.PasswordHash
		u.PasswordGeneration++
	case TOTPReset:
		u.TOTP = TOTP{}
	case UserPermissionsSet:
		u.Permissions = PermissionsFrom(e.Mode, e.Hosts)
	case UserDisabled:
		u.Disabled = true
	case UserEnabled:
		u.Disabled = false
	}
}

// FoldUser builds a user from its stream.
func FoldUser(events []Event) User {
	var u User
	for _, e := range events {
		u.Apply(e)
	}
	return u
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// NormalizeUsername folds case and checks the allowed alphabet. Usernames are
// compared case-insensitively everywhere; keeping them to ASCII means two
// names that look alike are alike.
func NormalizeUsername(raw string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(raw))
	if !usernamePattern.MatchString(name) {
		return "", &InvalidInputError{Field: "username", Reason: "1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit"}
	}
	return name, nil
}

// ClaimedUserID returns the user a username claim stream names, "" when the
// name is unclaimed.
func ClaimedUserID(claims []Event) string {
	for _, e := range claims {
		if c, ok := e.(UsernameClaimed); ok {
			return c.UserID
		}
	}
	return ""
}

// NewUser is what RegisterUser needs.
type NewUser struct {
	ID            string
	Username      string // as typed; normalized here
	Email         string
	Provider      string
	PasswordHash  string
	AccessGranted bool
	Admin         bool
	AdminReason   string
}

// Signup is the outcome of RegisterUser: the claim for the name's
// stream and the events for the user's own stream.
type Signup struct {
	Claim UsernameClaimed
	User  []Event
}

// RegisterUser decides a new account. Uniqueness is not decided here: the
// caller appends Claim to the name's stream expecting it not to exist.
func RegisterUser(in NewUser) (Signup, error) {
	name, err := NormalizeUsername(in.Username)
	if err != nil {
		return Signup{}, err
	}
	email := strings.TrimSpace(in.Email)
	if email != "" {
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email {
			return Signup{}, &InvalidInputError{Field: "email", Reason: "not a plain address like name@example.com"}
		}
	}
	if in.ID == "" || in.Provider == "" {
		return Signup{}, &InvalidInputError{Field: "user", Reason: "id and provider are required"}
	}
	events := []Event{UserRegistered{
		UserID: in.ID, Username: name, Email: email, Provider: in.Provider,
		PasswordHash: in.PasswordHash, AccessGranted: in.AccessGranted,
	}}
	if in.Admin {
		events = append(events, AdminGranted{UserID: in.ID, Reason: in.AdminReason})
	}
	return Signup{Claim: UsernameClaimed{Username: name, UserID: in.ID}, User: events}, nil
}

// SessionPolicy is the configuration that shapes new sessions.
type SessionPolicy struct {
	MFAEnabled    bool          // TOTP is offered, and required of users who enrolled
	MFAEnforce    bool          // users who have not enrolled must enroll first
	FullTTL       time.Duration // an authorized user's session
	RestrictedTTL time.Duration // an unauthorized user's session
	PendingTTL    time.Duration // the window to answer a challenge or enroll
}

// Policy returns p: a fixed policy is its own source where commands take a
// live one (the mfa and security sections, changed at run time).
func (p SessionPolicy) Policy() SessionPolicy { return p }

// Login is the outcome of a first factor that passed.
type Login struct {
	User    []Event        // for the user's stream
	Session SessionStarted // for the new session's stream
}

// Login decides a sign-in whose first factor passed, through provider
// ("local", "plex", ...). bootstrapAdmin makes the user an admin
// (ADMIN_BOOTSTRAP_USERS, local accounts only); like every change of the
// admin flag, that revokes the sessions they already hold.
func (u User) Login(sessionID, provider string, bootstrapAdmin bool, p SessionPolicy, now time.Time) (Login, error) {
	if !u.Exists() {
		return Login{}, ErrUserNotFound
	}
	if u.Disabled {
		return Login{}, ErrUserDisabled
	}
	var out Login
	if bootstrapAdmin && !u.Admin {
		out.User = append(out.User, AdminGranted{UserID: u.ID, Reason: "bootstrap"})
		out.User = append(out.User, SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "admin_changed"})
	}
	next := u // the user as the events above leave them
	for _, e := range out.User {
		next.Apply(e)
	}
	authorized := next.Authorized()

	s := SessionStarted{SessionID: sessionID, UserID: u.ID, Provider: provider, Epoch: next.Epoch, Authorized: authorized, AuthTime: now}
	switch {
	case p.MFAEnabled && u.TOTP.Enabled:
		s.Kind, s.ExpiresAt = SessionMFAChallenge, now.Add(p.PendingTTL)
	case p.MFAEnabled && p.MFAEnforce:
		s.Kind, s.ExpiresAt = SessionMFAEnroll, now.Add(p.PendingTTL)
	default:
		s.Kind, s.ExpiresAt = SessionFull, now.Add(fullTTL(authorized, p))
	}
	out.Session = s
	return out, nil
}

func fullTTL(authorized bool, p SessionPolicy) time.Duration {
	if authorized {
		return p.FullTTL
	}
	return p.RestrictedTTL
}

// SetAdmin grants or revokes admin and revokes the user's sessions, so that
// no session keeps the powers it was issued with. Nothing to do is no events.
func (u User) SetAdmin(admin bool, reason string) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	if u.Admin == admin {
		return nil, nil
	}
	var change Event = AdminGranted{UserID: u.ID, Reason: reason}
	if !admin {
		change = AdminRevoked{UserID: u.ID, Reason: reason}
	}
	return []Event{change, SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "admin_changed"}}, nil
}

// BeginTOTPEnrollment records a new pending secret. Only a full session, or
// the enrollment session MFA_ENFORCE hands out, may do it, and never over an
// enabled authenticator: a stolen password must not replace a working one.
// A full session must have proved the password within StepUpAge (reauth is
// when the caller checked it again, zero if it did not): a stolen session
// cookie alone must not register the thief's authenticator.
func (u User) BeginTOTPEnrollment(s Session, reauth time.Time, sealedSecret string, now time.Time) (Event, error) {
	if s.Kind != SessionFull && s.Kind != SessionMFAEnroll {
		return nil, ErrWrongSessionKind
	}
	if u.TOTP.Enabled {
		return nil, ErrMFAAlreadyEnrolled
	}
	if s.Kind == SessionFull && !s.AuthenticatedRecently(reauth, now) {
		return nil, ErrReauthRequired
	}
	return TOTPEnrollmentStarted{UserID: u.ID, Secret: sealedSecret}, nil
}

// EnableTOTP turns the pending secret on, once a code at step matched it,
// and ends every session the user holds: whoever held one before the
// authenticator existed must now pass it. The caller keeps the enrolling
// session alive by rotating it (Session.Rotate) to the new epoch.
func (u User) EnableTOTP(kind SessionKind, step int64, recoveryDigests []string) ([]Event, error) {
	if kind != SessionFull && kind != SessionMFAEnroll {
		return nil, ErrWrongSessionKind
	}
	if u.TOTP.Enabled {
		return nil, ErrMFAAlreadyEnrolled
	}
	if u.TOTP.PendingSecret == "" {
		return nil, ErrMFANotStarted
	}
	return []Event{
		TOTPEnabled{UserID: u.ID, RecoveryCodes: recoveryDigests, Step: step},
		SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "mfa_enabled"},
	}, nil
}

// TOTPSecret is the sealed secret a challenge's code is checked against,
// or ErrMFANotEnrolled.
func (u User) TOTPSecret() (string, error) {
	if !u.TOTP.Enabled {
		return "", ErrMFANotEnrolled
	}
	return u.TOTP.Secret, nil
}

// AcceptTOTP accepts a code that matched at step, unless that step (or a
// later one) was already accepted: pquerna/otp has no replay protection.
func (u User) AcceptTOTP(step int64, sessionID string) (Event, error) {
	if !u.TOTP.Enabled {
		return nil, ErrMFANotEnrolled
	}
	if step <= u.TOTP.LastStep {
		return nil, ErrCodeReused
	}
	return TOTPUsed{UserID: u.ID, Step: step, SessionID: sessionID}, nil
}

// UseRecoveryCode spends the unspent recovery code whose digest matches.
// Every stored digest is compared, in constant time, whatever matches.
func (u User) UseRecoveryCode(digest, sessionID string) (Event, error) {
	if !u.TOTP.Enabled {
		return nil, ErrMFANotEnrolled
	}
	found := -1
	for i, d := range u.TOTP.RecoveryCodes {
		if subtle.ConstantTimeCompare([]byte(d), []byte(digest)) == 1 && !u.TOTP.UsedCodes[i] {
			found = i
		}
	}
	if found < 0 {
		return nil, ErrCodeInvalid
	}
	return RecoveryCodeUsed{UserID: u.ID, Index: found, Remaining: u.RecoveryCodesLeft() - 1, SessionID: sessionID}, nil
}

// RenewRecoveryCodes replaces the recovery codes of a user with TOTP on,
// for a full session that just proved the password or a code again
// (recentProof): a stolen session cookie must not be able to mint codes
// that bypass the authenticator.
func (u User) RenewRecoveryCodes(s Session, recentProof bool, digests []string) (Event, error) {
	if s.Kind != SessionFull {
		return nil, ErrWrongSessionKind
	}
	if !u.TOTP.Enabled {
		return nil, ErrMFANotEnrolled
	}
	if !recentProof {
		return nil, ErrReauthRequired
	}
	return RecoveryCodesRenewed{UserID: u.ID, RecoveryCodes: digests}, nil
}
