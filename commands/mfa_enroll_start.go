package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/totp"
)

// StartTOTPEnrollment gives a session's user a new, unverified TOTP secret.
type StartTOTPEnrollment struct {
	SessionID string
	// Password confirms the user's password again (step-up), needed when the
	// session is full and its password is older than domain.StepUpAge.
	Password string
	Meta     domain.Metadata
}

// StartTOTPEnrollmentResult is what the user needs to set up an authenticator.
// It goes to the user's browser in a response body, never in a URL.
type StartTOTPEnrollmentResult struct {
	Result
	Secret   string // base32, for typing in by hand
	QRCode   []byte // PNG of the otpauth:// URI
	Replaced bool   // an earlier, unverified secret was replaced
}

// StartTOTPEnrollmentHandler handles StartTOTPEnrollment.
type StartTOTPEnrollmentHandler struct {
	store    Store
	sealer   *Sealer
	password passwordCheck
	now      Clock
	issuer   func() string // the mfa section's issuer now
}

// NewStartTOTPEnrollmentHandler panics on a nil dependency; issuer gives the
// name authenticator apps show (mfa.issuer, first MFA_ISSUER).
func NewStartTOTPEnrollmentHandler(store Store, sealer *Sealer, hasher PasswordHasher, budgets Budgets, now Clock, issuer func() string) StartTOTPEnrollmentHandler {
	if store == nil || sealer == nil || hasher == nil || budgets == nil || now == nil || issuer == nil {
		panic("commands.NewStartTOTPEnrollmentHandler: nil dependency")
	}
	return StartTOTPEnrollmentHandler{store: store, sealer: sealer, now: now, issuer: issuer,
		password: passwordCheck{hasher: hasher, sealer: sealer, budgets: budgets, now: now}}
}

// Handle refuses a pending-challenge session (domain.ErrWrongSessionKind), a
// user whose TOTP is already enabled (domain.ErrMFAAlreadyEnrolled), and a
// full session whose password is old, unless cmd.Password proves it again
// (domain.ErrReauthRequired; a wrong one is ErrInvalidCredentials and spends
// the session's step-up budget). Starting again before verifying replaces
// the unverified secret, and says so in Replaced.
func (h StartTOTPEnrollmentHandler) Handle(ctx context.Context, cmd StartTOTPEnrollment) (StartTOTPEnrollmentResult, error) {
	live, err := loadLiveSession(ctx, h.store, cmd.SessionID, h.now())
	if err != nil {
		return StartTOTPEnrollmentResult{}, fmt.Errorf("start totp enrollment: %w", err)
	}
	var reauth time.Time
	if cmd.Password != "" && live.session.Kind == domain.SessionFull {
		if err := h.password.confirm(ctx, live.session.ID, live.user, cmd.Password); err != nil {
			return StartTOTPEnrollmentResult{}, fmt.Errorf("start totp enrollment: %w", err)
		}
		reauth = h.now()
	}
	return retry(ctx, "start totp enrollment", func() (StartTOTPEnrollmentResult, error) {
		now := h.now()
		live, err := loadLiveSession(ctx, h.store, cmd.SessionID, now)
		if err != nil {
			return StartTOTPEnrollmentResult{}, err
		}
		account := live.user.Username
		if live.user.Email != "" {
			account = live.user.Email
		}
		key, err := totp.Generate(h.issuer(), account)
		if err != nil {
			return StartTOTPEnrollmentResult{}, err
		}
		sealed, err := h.sealer.Seal([]byte(key.Secret), live.user.ID)
		if err != nil {
			return StartTOTPEnrollmentResult{}, err
		}
		event, err := live.user.BeginTOTPEnrollment(live.session, reauth, sealed, now)
		if err != nil {
			return StartTOTPEnrollmentResult{}, err
		}
		qr, err := key.QRCode(256)
		if err != nil {
			return StartTOTPEnrollmentResult{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{
			StreamID: domain.UserStream(live.user.ID), Expected: eventstore.Exactly(live.userVersion), Events: []domain.Event{event},
		})
		if err != nil {
			return StartTOTPEnrollmentResult{}, err
		}
		return StartTOTPEnrollmentResult{Result: Result{Position: res.LastPosition}, Secret: key.Secret, QRCode: qr,
			Replaced: live.user.TOTP.PendingSecret != ""}, nil
	})
}
