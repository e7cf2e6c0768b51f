package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/throttle"
)

// recordFailure reports a failed first factor and returns
// ErrInvalidCredentials.
//
// Every failure is one structured line in the server log (msg "sign-in
// failed", with client_ip and reason; user_id only when an account
// matched), which fail2ban or CrowdSec can act on. The event log gets what an
// auditor needs at a bounded rate: a LoginFailed on the LoginAttemptsStream
// at most once per account and once per client address (IPv6 by /64) per
// audit window. What was typed as a username is never kept unless it named
// an account: people type passwords into that box.
func (h LoginHandler) recordFailure(ctx context.Context, cmd Login, u domain.User, reason string) error {
	args := []any{"client_ip", cmd.Meta.ClientIP, "reason", reason, "request_id", cmd.Meta.RequestID}
	if u.Exists() {
		args = append(args, "user_id", u.ID)
	}
	h.logger.InfoContext(ctx, "sign-in failed", args...)

	audit := false
	now := h.now()
	if u.Exists() {
		d, err := h.budgets.Take(ctx, scopeAuditAccount, u.ID, auditWindow, now)
		if err != nil {
			return fmt.Errorf("login: record failure: %w", err)
		}
		audit = d.Allowed
	}
	d, err := h.budgets.Take(ctx, scopeAuditAddress, throttle.AddressKey(cmd.Meta.ClientIP), auditWindow, now)
	if err != nil {
		return fmt.Errorf("login: record failure: %w", err)
	}
	if audit = audit || d.Allowed; !audit {
		return ErrInvalidCredentials
	}
	ev := domain.LoginFailed{UserID: u.ID, Username: u.Username, Provider: "local", Reason: reason}
	if _, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.LoginAttemptsStream, Expected: eventstore.Any, Events: []domain.Event{ev}}); err != nil {
		return fmt.Errorf("login: record failure: %w", err)
	}
	return ErrInvalidCredentials
}
