package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/authportal/authportal/domain"
)

func TestOperatorDecisionsEndSessions(t *testing.T) {
	revoked := []domain.Event{domain.SessionsRevoked{UserID: "U1", Epoch: 4, Reason: "admin_changed"}}
	tests := []struct {
		name   string
		user   domain.User
		decide func(domain.User) ([]domain.Event, error)
		want   []domain.Event
	}{
		{"change password", user(t, true, false, revoked...),
			func(u domain.User) ([]domain.Event, error) { return u.ChangePassword("v1.sealed", "cli") },
			[]domain.Event{
				domain.PasswordChanged{UserID: "U1", PasswordHash: "v1.sealed", Reason: "cli"},
				domain.SessionsRevoked{UserID: "U1", Epoch: 5, Reason: "password_changed"},
			}},
		{"reset an enabled authenticator", user(t, true, false, append(enabled, revoked...)...),
			func(u domain.User) ([]domain.Event, error) { return u.ResetTOTP("cli") },
			[]domain.Event{
				domain.TOTPReset{UserID: "U1", Reason: "cli"},
				domain.SessionsRevoked{UserID: "U1", Epoch: 5, Reason: "mfa_reset"},
			}},
		{"reset a half-made enrollment", user(t, true, false, enabled[0]),
			func(u domain.User) ([]domain.Event, error) { return u.ResetTOTP("cli") },
			[]domain.Event{
				domain.TOTPReset{UserID: "U1", Reason: "cli"},
				domain.SessionsRevoked{UserID: "U1", Epoch: 1, Reason: "mfa_reset"},
			}},
		{"reset with nothing enrolled", user(t, true, false),
			func(u domain.User) ([]domain.Event, error) { return u.ResetTOTP("cli") },
			nil},
		{"revoke sessions", user(t, true, false, revoked...),
			func(u domain.User) ([]domain.Event, error) { return u.RevokeSessions() },
			[]domain.Event{domain.SessionsRevoked{UserID: "U1", Epoch: 5, Reason: "revoked"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decide(tt.user)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events:\ngot  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestOperatorDecisionsRefuse(t *testing.T) {
	var nobody domain.User
	for name, decide := range map[string]func() ([]domain.Event, error){
		"change password": func() ([]domain.Event, error) { return nobody.ChangePassword("v1.sealed", "cli") },
		"reset totp":      func() ([]domain.Event, error) { return nobody.ResetTOTP("cli") },
		"revoke sessions": func() ([]domain.Event, error) { return nobody.RevokeSessions() },
	} {
		if _, err := decide(); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("%s of no user: got %v, want ErrUserNotFound", name, err)
		}
	}
	plex := domain.FoldUser([]domain.Event{domain.UserRegistered{UserID: "U2", Username: "p", Provider: "plex"}})
	var invalid *domain.InvalidInputError
	if _, err := plex.ChangePassword("v1.sealed", "cli"); !errors.As(err, &invalid) {
		t.Errorf("password for a plex account: got %v, want InvalidInputError", err)
	}
	if _, err := user(t, true, false).ChangePassword("", "cli"); !errors.As(err, &invalid) {
		t.Errorf("empty hash: got %v, want InvalidInputError", err)
	}
}

func TestResetAndPasswordFold(t *testing.T) {
	u := user(t, true, false, append(enabled, domain.PasswordChanged{UserID: "U1", PasswordHash: "v1.new"}, domain.TOTPReset{UserID: "U1"})...)
	if u.PasswordHash != "v1.new" || u.TOTP.Enabled || u.TOTP.Secret != "" || u.TOTP.PendingSecret != "" || u.RecoveryCodesLeft() != 0 {
		t.Errorf("after PasswordChanged and TOTPReset: got %+v", u)
	}
}
