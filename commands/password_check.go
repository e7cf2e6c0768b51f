package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// passwordCheck confirms a signed-in user's password again (step-up). Its
// guesses spend a budget of the session's own: bounded, so a stolen session
// cookie opens no unthrottled guessing door, and apart from the account's
// sign-in budget, so an anonymous flood at the name cannot keep the real
// user from confirming their own password.
type passwordCheck struct {
	hasher  PasswordHasher
	sealer  *Sealer
	budgets Budgets
	now     Clock
}

// confirm returns nil when password is u's, ErrInvalidCredentials when it is
// not, and a *RateLimitedError when the session's budget is spent.
func (c passwordCheck) confirm(ctx context.Context, sessionID string, u domain.User, password string) error {
	b := budget{scope: scopeStepUp, id: sessionID, limit: LoginAccountLimit}
	d, err := c.budgets.Take(ctx, b.scope, b.id, b.limit, c.now())
	if err != nil {
		return err
	}
	if !d.Allowed {
		return &RateLimitedError{RetryAfter: d.RetryAfter}
	}
	hash, err := c.sealer.OpenPasswordHash(u.PasswordHash, u.ID)
	if err != nil {
		return err
	}
	ok, err := c.hasher.Verify(ctx, hash, password)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCredentials
	}
	c.budgets.Refund(ctx, b.scope, b.id, b.limit)
	return nil
}
