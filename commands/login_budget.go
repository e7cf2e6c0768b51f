package commands

import (
	"context"
	"strings"
	"time"

	"github.com/authportal/authportal/domain"
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
	// auditWindow is how often one account, or one client network, may put
	// a failed sign-in into the event log; the server log has every one.
	auditWindow = throttle.Limit{Every: 5 * time.Minute, Burst: 1}

	// LoginDevicesLimit bounds the guesses of all an account's known devices
	// together: minting devices (a sign-in from each of many browsers) must
	// not multiply the budget.
	LoginDevicesLimit = throttle.Limit{Every: 10 * time.Second, Burst: 30}
	// loginNobodyLimit is how many attempts at names that match no account,
	// from anywhere, get a real hash each second; past it they get a stand-in.
	loginNobodyLimit = throttle.Limit{Every: 100 * time.Millisecond, Burst: 20}
	// auditGlobal bounds the failure events not tied to an account.
	auditGlobal = throttle.Limit{Every: time.Second, Burst: 60}
)

// Budget scopes. The ids under them are hashed by throttle, never stored.
const (
	scopeLoginAccount  = "login-account"
	scopeLoginDevice   = "login-device"
	scopeLoginDevices  = "login-devices"
	scopeLoginNobody   = "login-nobody"
	scopeMFAAccount    = "mfa-account"
	scopeStepUp        = "step-up-session"
	scopeAuditAccount  = "audit-login-account"
	scopeAuditAddress  = "audit-login-network"
	scopeAuditGlobal   = "audit-login-global"
	maxBudgetNameBytes = 256
)

// budget is one bucket an attempt spends from.
type budget struct {
	scope string
	id    string
	limit throttle.Limit
}

// knownDevice returns the device cookie that says this browser signed in as
// name before, if there is one.
func knownDevice(devices []Device, name string, valid bool) (Device, bool) {
	if !valid {
		return Device{}, false
	}
	for _, d := range devices {
		if d.ID != "" && d.Username == name {
			return d, true
		}
	}
	return Device{}, false
}

// budgetsFor picks the buckets a sign-in attempt spends from: a known
// device's own (keyed by device and name, so one browser's budget for one
// account is not spent by guesses at another) and the account's devices
// together; else the account's, keyed by the name as typed (folded),
// whether or not an account has it, so the budget reveals nothing.
func (h LoginHandler) budgetsFor(cmd Login, name string, valid bool, device Device, known bool) []budget {
	if !valid {
		name = strings.ToLower(strings.TrimSpace(cmd.Username))
		if len(name) > maxBudgetNameBytes {
			name = name[:maxBudgetNameBytes]
		}
	}
	if known {
		return []budget{
			{scope: scopeLoginDevice, id: device.ID + "\x00" + name, limit: LoginDeviceLimit},
			{scope: scopeLoginDevices, id: name, limit: LoginDevicesLimit},
		}
	}
	return []budget{{scope: scopeLoginAccount, id: name, limit: LoginAccountLimit}}
}

// reserve takes a token from each bucket before the password is checked:
// concurrent guesses are charged before any of them is judged. It returns
// what it took, for refund after a right password; when a bucket is empty it
// gives back what it took from the others and returns a *RateLimitedError.
func (h LoginHandler) reserve(ctx context.Context, budgets ...budget) ([]budget, error) {
	var taken []budget
	for _, b := range budgets {
		d, err := h.budgets.Take(ctx, b.scope, b.id, b.limit, h.now())
		if err == nil && !d.Allowed {
			err = &RateLimitedError{RetryAfter: d.RetryAfter}
		}
		if err != nil {
			h.refund(ctx, taken)
			return nil, err
		}
		taken = append(taken, b)
	}
	return taken, nil
}

// refund gives tokens back.
func (h LoginHandler) refund(ctx context.Context, budgets []budget) {
	for _, b := range budgets {
		h.budgets.Refund(ctx, b.scope, b.id, b.limit)
	}
}

// reserveCodeAttempt takes a token from the second-factor budget of the
// user a session belongs to, before any code of theirs is checked, and
// returns the session; a right code gives the token back. A spent budget is
// a *RateLimitedError.
func reserveCodeAttempt(ctx context.Context, store Store, budgets Budgets, sessionID string, now time.Time) (domain.Session, error) {
	s, _, err := loadSession(ctx, store, sessionID)
	if err != nil {
		return domain.Session{}, err
	}
	d, err := budgets.Take(ctx, scopeMFAAccount, s.UserID, MFAAccountLimit, now)
	if err != nil {
		return domain.Session{}, err
	}
	if !d.Allowed {
		return domain.Session{}, &RateLimitedError{RetryAfter: d.RetryAfter}
	}
	return s, nil
}
