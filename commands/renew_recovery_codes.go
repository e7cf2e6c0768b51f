package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/totp"
)

// RenewRecoveryCodes gives a signed-in user with TOTP a fresh set of
// recovery codes, once they proved it is them again: their password, or a
// code from their authenticator (for accounts without a password here).
type RenewRecoveryCodes struct {
	SessionID string
	Password  string
	Code      string
	Meta      domain.Metadata
}

// RenewRecoveryCodesResult carries the new codes, shown this once.
type RenewRecoveryCodesResult struct {
	Result
	RecoveryCodes []string
}

// RenewRecoveryCodesHandler handles RenewRecoveryCodes.
type RenewRecoveryCodesHandler struct {
	store    Store
	sealer   *Sealer
	budgets  Budgets
	password passwordCheck
	now      Clock
}

// NewRenewRecoveryCodesHandler panics on a nil dependency.
func NewRenewRecoveryCodesHandler(store Store, sealer *Sealer, hasher PasswordHasher, budgets Budgets, now Clock) RenewRecoveryCodesHandler {
	if store == nil || sealer == nil || hasher == nil || budgets == nil || now == nil {
		panic("commands.NewRenewRecoveryCodesHandler: nil dependency")
	}
	return RenewRecoveryCodesHandler{store: store, sealer: sealer, budgets: budgets, now: now,
		password: passwordCheck{hasher: hasher, sealer: sealer, budgets: budgets, now: now}}
}

// Handle returns ErrInvalidCredentials for a wrong password,
// domain.ErrCodeInvalid or domain.ErrCodeReused for a code that does not
// pass, domain.ErrReauthRequired when neither was given, and a
// *RateLimitedError when the session's step-up budget is spent.
func (h RenewRecoveryCodesHandler) Handle(ctx context.Context, cmd RenewRecoveryCodes) (RenewRecoveryCodesResult, error) {
	live, err := loadLiveSession(ctx, h.store, cmd.SessionID, h.now())
	if err != nil {
		return RenewRecoveryCodesResult{}, fmt.Errorf("renew recovery codes: %w", err)
	}
	proved := false
	if cmd.Password != "" {
		if err := h.password.confirm(ctx, live.session.ID, live.user, cmd.Password); err != nil {
			return RenewRecoveryCodesResult{}, fmt.Errorf("renew recovery codes: %w", err)
		}
		proved = true
	}
	if cmd.Code != "" {
		// The code spends the same step-up budget a password would.
		d, err := h.budgets.Take(ctx, scopeStepUp, live.session.ID, LoginAccountLimit, h.now())
		if err != nil {
			return RenewRecoveryCodesResult{}, fmt.Errorf("renew recovery codes: %w", err)
		}
		if !d.Allowed {
			return RenewRecoveryCodesResult{}, &RateLimitedError{RetryAfter: d.RetryAfter}
		}
	}
	codes, digests, err := totp.NewRecoveryCodes(live.user.ID)
	if err != nil {
		return RenewRecoveryCodesResult{}, fmt.Errorf("renew recovery codes: %w", err)
	}
	return retry(ctx, "renew recovery codes", func() (RenewRecoveryCodesResult, error) {
		now := h.now()
		live, err := loadLiveSession(ctx, h.store, cmd.SessionID, now)
		if err != nil {
			return RenewRecoveryCodesResult{}, err
		}
		var events []domain.Event
		proof := proved
		if cmd.Code != "" && !proved {
			used, err := h.checkCode(live.user, cmd)
			if err != nil {
				return RenewRecoveryCodesResult{}, err
			}
			events, proof = append(events, used), true
		}
		renewed, err := live.user.RenewRecoveryCodes(live.session, proof, digests)
		if err != nil {
			return RenewRecoveryCodesResult{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.UserStream(live.user.ID),
			Expected: eventstore.Exactly(live.userVersion), Events: append(events, renewed)})
		if err != nil {
			return RenewRecoveryCodesResult{}, err
		}
		return RenewRecoveryCodesResult{Result: Result{Position: res.LastPosition}, RecoveryCodes: codes}, nil
	})
}

// checkCode accepts a TOTP code from the user's authenticator, once.
func (h RenewRecoveryCodesHandler) checkCode(u domain.User, cmd RenewRecoveryCodes) (domain.Event, error) {
	sealed, err := u.TOTPSecret()
	if err != nil {
		return nil, err
	}
	secret, err := h.sealer.Open(sealed, u.ID)
	if err != nil {
		return nil, err
	}
	step, ok := totp.Match(string(secret), cmd.Code, h.now())
	if !ok {
		return nil, domain.ErrCodeInvalid
	}
	return u.AcceptTOTP(step, cmd.SessionID)
}
