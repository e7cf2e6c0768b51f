package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

var policy = domain.SessionPolicy{MFAEnabled: true, FullTTL: 24 * time.Hour, RestrictedTTL: 5 * time.Minute, PendingTTL: 10 * time.Minute}

func user(t *testing.T, access, admin bool, more ...domain.Event) domain.User {
	t.Helper()
	s, err := domain.RegisterUser(domain.NewUser{ID: "U1", Username: "Alice", Provider: "local", PasswordHash: "h", AccessGranted: access, Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	return domain.FoldUser(append(s.User, more...))
}

var enabled = []domain.Event{
	domain.TOTPEnrollmentStarted{UserID: "U1", Secret: "sealed"},
	domain.TOTPEnabled{UserID: "U1", RecoveryCodes: []string{"d0", "d1"}, Step: 100},
}

func TestLoginDecidesTheSession(t *testing.T) {
	enforce := policy
	enforce.MFAEnforce = true
	off := policy
	off.MFAEnabled = false
	tests := []struct {
		name       string
		user       domain.User
		policy     domain.SessionPolicy
		bootstrap  bool
		wantKind   domain.SessionKind
		wantTTL    time.Duration
		wantAuth   bool
		wantEpoch  int64
		wantEvents int // on the user's stream: a plain sign-in appends none, so the stream does not grow with sign-ins
	}{
		{"authorized, no MFA", user(t, true, false), policy, false, domain.SessionFull, 24 * time.Hour, true, 0, 0},
		{"unauthorized gets a short session", user(t, false, false), policy, false, domain.SessionFull, 5 * time.Minute, false, 0, 0},
		{"enrolled owes a challenge", user(t, true, false, enabled...), policy, false, domain.SessionMFAChallenge, 10 * time.Minute, true, 0, 0},
		{"MFA off ignores enrollment", user(t, true, false, enabled...), off, false, domain.SessionFull, 24 * time.Hour, true, 0, 0},
		{"enforced must enroll", user(t, true, false), enforce, false, domain.SessionMFAEnroll, 10 * time.Minute, true, 0, 0},
		{"bootstrap admin: granted, sessions revoked", user(t, false, false), policy, true, domain.SessionFull, 24 * time.Hour, true, 1, 2},
		{"bootstrap of an admin changes nothing", user(t, false, true), policy, true, domain.SessionFull, 24 * time.Hour, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.user.Login("S1", "local", tt.bootstrap, tt.policy, now)
			if err != nil {
				t.Fatal(err)
			}
			s := got.Session
			if !s.AuthTime.Equal(now) {
				t.Errorf("session auth time = %v, want %v", s.AuthTime, now)
			}
			if s.Kind != tt.wantKind || s.ExpiresAt.Sub(now) != tt.wantTTL || s.Authorized != tt.wantAuth || s.Epoch != tt.wantEpoch {
				t.Errorf("session = %+v; want kind %s, ttl %v, authorized %v, epoch %d", s, tt.wantKind, tt.wantTTL, tt.wantAuth, tt.wantEpoch)
			}
			if len(got.User) != tt.wantEvents {
				t.Errorf("got %d user events %v, want %d", len(got.User), got.User, tt.wantEvents)
			}
		})
	}
	disabled := user(t, true, false)
	disabled.Disabled = true
	if _, err := disabled.Login("S1", "local", false, policy, now); !errors.Is(err, domain.ErrUserDisabled) {
		t.Errorf("disabled login: %v", err)
	}
}

func TestSessionLive(t *testing.T) {
	u := user(t, true, false)
	s := domain.FoldSession([]domain.Event{domain.SessionStarted{SessionID: "S1", UserID: "U1", Kind: domain.SessionFull, ExpiresAt: now.Add(time.Hour)}})
	if err := s.Live(u, now); err != nil {
		t.Errorf("fresh session: %v", err)
	}
	revoked := user(t, true, false, domain.SessionsRevoked{UserID: "U1", Epoch: 1})
	ended := domain.FoldSession(append([]domain.Event{domain.SessionStarted{SessionID: "S1", UserID: "U1", ExpiresAt: now.Add(time.Hour)}}, s.End("logout")...))
	tests := []struct {
		name string
		s    domain.Session
		u    domain.User
		at   time.Time
	}{
		{"expired", s, u, now.Add(time.Hour)},
		{"epoch moved", s, revoked, now},
		{"ended", ended, u, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Live(tt.u, tt.at); !errors.Is(err, domain.ErrSessionEnded) {
				t.Errorf("Live = %v, want ErrSessionEnded", err)
			}
		})
	}
	if again := ended.End("logout"); len(again) != 0 {
		t.Errorf("ending an ended session gave %v", again)
	}
}

func TestEnrollmentRules(t *testing.T) {
	fresh := user(t, true, false)
	session := func(kind domain.SessionKind, authAt time.Time) domain.Session {
		return domain.Session{ID: "S1", UserID: "U1", Kind: kind, AuthTime: authAt, ExpiresAt: now.Add(time.Hour)}
	}
	if _, err := fresh.BeginTOTPEnrollment(session(domain.SessionMFAChallenge, now), time.Time{}, "x", now); !errors.Is(err, domain.ErrWrongSessionKind) {
		t.Errorf("pending challenge session may not enroll: %v", err)
	}
	if _, err := fresh.EnableTOTP(domain.SessionFull, 1, nil); !errors.Is(err, domain.ErrMFANotStarted) {
		t.Errorf("enable before start: %v", err)
	}
	for _, kind := range []domain.SessionKind{domain.SessionFull, domain.SessionMFAEnroll} {
		if _, err := fresh.BeginTOTPEnrollment(session(kind, now.Add(-time.Minute)), time.Time{}, "x", now); err != nil {
			t.Errorf("%s session may enroll: %v", kind, err)
		}
	}
	on := user(t, true, false, enabled...)
	if _, err := on.BeginTOTPEnrollment(session(domain.SessionFull, now), time.Time{}, "x", now); !errors.Is(err, domain.ErrMFAAlreadyEnrolled) {
		t.Errorf("re-enrolling over an enabled authenticator: %v", err)
	}
}

// A full session whose password is older than StepUpAge must prove it again
// before it may set up an authenticator; a v1 session (no AuthTime) always must.
func TestEnrollmentFromAnOldSessionAsksForThePassword(t *testing.T) {
	u := user(t, true, false)
	old := domain.Session{ID: "S1", UserID: "U1", Kind: domain.SessionFull, AuthTime: now.Add(-domain.StepUpAge - time.Second)}
	if _, err := u.BeginTOTPEnrollment(old, time.Time{}, "x", now); !errors.Is(err, domain.ErrReauthRequired) {
		t.Errorf("old session without reauth: got %v, want ErrReauthRequired", err)
	}
	if _, err := u.BeginTOTPEnrollment(old, now, "x", now); err != nil {
		t.Errorf("old session with the password just proved: %v", err)
	}
	legacy := domain.Session{ID: "S2", UserID: "U1", Kind: domain.SessionFull}
	if _, err := u.BeginTOTPEnrollment(legacy, time.Time{}, "x", now); !errors.Is(err, domain.ErrReauthRequired) {
		t.Errorf("session without an auth time: got %v, want ErrReauthRequired", err)
	}
	// The enforced-enrollment session has just passed the password by
	// construction and is short-lived: no step-up.
	enroll := domain.Session{ID: "S3", UserID: "U1", Kind: domain.SessionMFAEnroll, AuthTime: now.Add(-8 * time.Minute)}
	if _, err := u.BeginTOTPEnrollment(enroll, time.Time{}, "x", now); err != nil {
		t.Errorf("enforced enrollment session: %v", err)
	}
}

func TestEnablingTOTPEndsOtherSessions(t *testing.T) {
	u := user(t, true, false, domain.TOTPEnrollmentStarted{UserID: "U1", Secret: "sealed"})
	events, err := u.EnableTOTP(domain.SessionFull, 7, []string{"d"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		u.Apply(e)
	}
	if !u.TOTP.Enabled || u.Epoch != 1 {
		t.Fatalf("after enabling: enabled %v, epoch %d; want true, 1", u.TOTP.Enabled, u.Epoch)
	}
	s := domain.Session{ID: "S1", UserID: "U1", Kind: domain.SessionFull, Epoch: 0, AuthTime: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Live(u, now); !errors.Is(err, domain.ErrSessionEnded) {
		t.Errorf("a session from before enabling: got %v, want ErrSessionEnded", err)
	}
	ended, next := s.Rotate(u, "S2", domain.SessionPolicy{FullTTL: time.Hour}, now)
	if len(ended) != 1 || next.Epoch != 1 || !next.AuthTime.Equal(now) || next.Replaces != "S1" {
		t.Errorf("rotation: ended %v, next %+v", ended, next)
	}
}

func TestTOTPStepsAreNeverReused(t *testing.T) {
	u := user(t, true, false, enabled...) // enabled with step 100
	for _, tt := range []struct {
		step int64
		want error
	}{{99, domain.ErrCodeReused}, {100, domain.ErrCodeReused}, {101, nil}} {
		if _, err := u.AcceptTOTP(tt.step, "S"); !errors.Is(err, tt.want) {
			t.Errorf("AcceptTOTP(%d) = %v, want %v", tt.step, err, tt.want)
		}
	}
	e, err := u.AcceptTOTP(102, "S")
	if err != nil {
		t.Fatal(err)
	}
	u.Apply(e)
	if _, err := u.AcceptTOTP(101, "S"); !errors.Is(err, domain.ErrCodeReused) {
		t.Errorf("an older step after 102: %v, want ErrCodeReused", err)
	}
}

func TestRecoveryCodesSpendOnce(t *testing.T) {
	u := user(t, true, false, enabled...)
	e, err := u.UseRecoveryCode("d1", "S")
	if err != nil {
		t.Fatal(err)
	}
	if used := e.(domain.RecoveryCodeUsed); used.Index != 1 || used.Remaining != 1 {
		t.Errorf("used = %+v, want index 1, 1 remaining", used)
	}
	u.Apply(e)
	if _, err := u.UseRecoveryCode("d1", "S"); !errors.Is(err, domain.ErrCodeInvalid) {
		t.Errorf("spent code again: %v", err)
	}
	if _, err := u.UseRecoveryCode("nope", "S"); !errors.Is(err, domain.ErrCodeInvalid) {
		t.Errorf("unknown code: %v", err)
	}
}

func TestSetAdminRevokesSessions(t *testing.T) {
	u := user(t, true, false)
	events, err := u.SetAdmin(true, "cli")
	if err != nil || len(events) != 2 {
		t.Fatalf("SetAdmin = %v, %v", events, err)
	}
	u = domain.FoldUser(append([]domain.Event{domain.UserRegistered{UserID: "U1", Username: "alice", Provider: "local", AccessGranted: true}}, events...))
	if !u.Admin || u.Epoch != 1 {
		t.Errorf("after grant: admin %v epoch %d", u.Admin, u.Epoch)
	}
	if again, _ := u.SetAdmin(true, "cli"); len(again) != 0 {
		t.Errorf("granting twice gave %v", again)
	}
}

func TestNormalizeUsername(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Alice", "alice"}, {"  bob.smith@example.com ", "bob.smith@example.com"}, {"a_b-c", "a_b-c"},
	} {
		if got, err := domain.NormalizeUsername(tt.in); err != nil || got != tt.want {
			t.Errorf("NormalizeUsername(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"", ".alice", "al ice", "ålice", "alice\x00", string(make([]byte, 65))} {
		var invalid *domain.InvalidInputError
		if _, err := domain.NormalizeUsername(bad); !errors.As(err, &invalid) || invalid.Field != "username" {
			t.Errorf("NormalizeUsername(%q) = %v, want an invalid username", bad, err)
		}
	}
}
