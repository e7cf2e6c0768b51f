package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/totp"
)

// VerifyTOTPEnrollment turns a pending TOTP secret on with a code from it.
type VerifyTOTPEnrollment struct {
	SessionID string
	Code      string
	Meta      domain.Metadata
}

// VerifyTOTPEnrollmentResult carries the recovery codes, shown once, and the
// full session that replaces the enrolling one: enabling TOTP ended every
// session of the user's, this one included.
type VerifyTOTPEnrollmentResult struct {
	Result
	RecoveryCodes []string
	Session       domain.SessionStarted
}

// VerifyTOTPEnrollmentHandler handles VerifyTOTPEnrollment.
type VerifyTOTPEnrollmentHandler struct {
	store   Store
	sealer  *Sealer
	budgets Budgets
	newID   NewID
	now     Clock
	policy  PolicySource
}

// NewVerifyTOTPEnrollmentHandler panics on a nil dependency.
func NewVerifyTOTPEnrollmentHandler(store Store, sealer *Sealer, budgets Budgets, newID NewID, now Clock, policy PolicySource) VerifyTOTPEnrollmentHandler {
	if store == nil || sealer == nil || budgets == nil || newID == nil || now == nil {
		panic("commands.NewVerifyTOTPEnrollmentHandler: nil dependency")
	}
	return VerifyTOTPEnrollmentHandler{store: store, sealer: sealer, budgets: budgets, newID: newID, now: now, policy: policy}
}

// Handle returns domain.ErrCodeInvalid when the code does not match the
// pending secret, and a *RateLimitedError when the account's second-factor
// budget is spent: it is taken before the code is checked, since whoever
// holds a stolen session could otherwise guess codes for a half-finished
// enrollment from many addresses, and win the recovery codes.
func (h VerifyTOTPEnrollmentHandler) Handle(ctx context.Context, cmd VerifyTOTPEnrollment) (VerifyTOTPEnrollmentResult, error) {
	s, err := reserveCodeAttempt(ctx, h.store, h.budgets, cmd.SessionID, h.now())
	if err != nil {
		return VerifyTOTPEnrollmentResult{}, fmt.Errorf("verify totp enrollment: %w", err)
	}
	newSessionID := h.newID()
	out, err := retry(ctx, "verify totp enrollment", func() (VerifyTOTPEnrollmentResult, error) {
		now := h.now()
		live, err := loadLiveSession(ctx, h.store, cmd.SessionID, now)
		if err != nil {
			return VerifyTOTPEnrollmentResult{}, err
		}
		u := live.user
		if _, err := u.EnableTOTP(live.session.Kind, 0, nil); err != nil {
			return VerifyTOTPEnrollmentResult{}, err // not allowed, whatever the code: say why before checking it
		}
		secret, err := h.sealer.Open(u.TOTP.PendingSecret, u.ID)
		if err != nil {
			return VerifyTOTPEnrollmentResult{}, err
		}
		step, ok := totp.Match(string(secret), cmd.Code, now)
		if !ok {
			return VerifyTOTPEnrollmentResult{}, domain.ErrCodeInvalid
		}
		codes, digests, err := totp.NewRecoveryCodes(u.ID)
		if err != nil {
			return VerifyTOTPEnrollmentResult{}, err
		}
		enabled, err := u.EnableTOTP(live.session.Kind, step, digests)
		if err != nil {
			return VerifyTOTPEnrollmentResult{}, err
		}
		// Enabling ends every session the user holds; this one goes on as a
		// successor at the new epoch (for an enforced enrollment, the full
		// session it was waiting for).
		for _, e := range enabled {
			u.Apply(e)
		}
		ended, started := live.session.Rotate(u, newSessionID, h.policy.Policy(), now)
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(live.userVersion), Events: enabled},
			eventstore.Append{StreamID: domain.SessionStream(live.session.ID), Expected: eventstore.Exactly(live.sessionVersion), Events: ended},
			eventstore.Append{StreamID: domain.SessionStream(newSessionID), Expected: eventstore.NoStream, Events: []domain.Event{started}},
		)
		if err != nil {
			return VerifyTOTPEnrollmentResult{}, err
		}
		return VerifyTOTPEnrollmentResult{Result: Result{Position: res.LastPosition}, RecoveryCodes: codes, Session: started}, nil
	})
	if err == nil {
		// Only failures spend the budget: a right code gives its token back.
		h.budgets.Refund(ctx, scopeMFAAccount, s.UserID, MFAAccountLimit)
	}
	return out, err
}
