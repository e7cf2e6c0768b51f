package commands

import (
	"context"
	"strings"
	"time"

	"github.com/authportal/authportal/throttle"
)

// Sign-in budgets, shared by every node through Budgets. They follow
// OWASP's advice for throttling that is not a lockout: failures against an
// account spend the account's budget whoever sends them, but a browser that
// signed in as that user before (it carries a signed device cookie) spends
// from a budget of its own, so a flood from elsewhere never locks it out.
var (
	// LoginAccountLimit bounds guesses at one username from browsers it has
	// never signed in from, however many addresses they come from.
	LoginAccountLimit = throttle.Limit{Every: 30 * time.Second, Burst: 10}
	// LoginDeviceLimit bounds guesses from one known device.
	LoginDeviceLimit = throttle.Limit{Every: 30 * time.Second, Burst: 10}
	// MFAAccountLimit bounds second-factor guesses at one account, on top of
	// the per-address limit.
	MFAAccountLimit = throttle.Limit{Every: 12 * time.Second, Burst: 3}
	// auditWindow is how often one account, or one client address, may put
	// a failed sign-in into the event log; the server log has every one.
	auditWindow = throttle.Limit{Every: 5 * time.Minute, Burst: 1}
)

// Budget scopes. The ids under them are hashed by throttle, never stored.
const (
	scopeLoginAccount  = "login-account"
	scopeLoginDevice   = "login-device"
	scopeMFAAccount    = "mfa-account"
	scopeAuditAccount  = "audit-login-account"
	scopeAuditAddress  = "audit-login-address"
	maxBudgetNameBytes = 256
)

// budget is one bucket an attempt spends from.
type budget struct {
	scope string
	id    string
	limit throttle.Limit
}

// budgetFor picks the bucket a sign-in attempt spends from: the device's own
// when its cookie says it signed in as this very name before, else the
// account's. The account bucket is keyed by the name as typed (folded),
// whether or not an account has it, so the budget reveals nothing.
func (h LoginHandler) budgetFor(cmd Login, name string, valid bool) budget {
	if !valid {
		name = strings.ToLower(strings.TrimSpace(cmd.Username))
		if len(name) > maxBudgetNameBytes {
			name = name[:maxBudgetNameBytes]
		}
	}
	if valid && cmd.Device.ID != "" && cmd.Device.Username == name {
		return budget{scope: scopeLoginDevice, id: cmd.Device.ID, limit: LoginDeviceLimit}
	}
	return budget{scope: scopeLoginAccount, id: name, limit: LoginAccountLimit}
}

// reserve takes a token before the password is checked: concurrent guesses
// are charged before any of them is judged. A right password refunds it.
func (h LoginHandler) reserve(ctx context.Context, b budget) error {
	d, err := h.budgets.Take(ctx, b.scope, b.id, b.limit, h.now())
	if err != nil {
		return err
	}
	if !d.Allowed {
		return &RateLimitedError{RetryAfter: d.RetryAfter}
	}
	return nil
}
