package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// passwordCheck confirms a signed-in user's password again (step-up). A
// wrong guess spends the account's sign-in budget like a failed sign-in, so
// a stolen session cookie does not open a second, unthrottled guessing door.
type passwordCheck struct {
	hasher  PasswordHasher
	sealer  *Sealer
	budgets Budgets
	now     Clock
}

// confirm returns nil when password is u's, ErrInvalidCredentials when it is
// not, and a *RateLimitedError when the account's budget is spent.
func (c passwordCheck) confirm(ctx context.Context, u domain.User, password string) error {
	b := budget{scope: scopeLoginAccount, id: u.Username, limit: LoginAccountLimit}
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
	return c.budgets.Refund(ctx, b.scope, b.id, b.limit)
}
