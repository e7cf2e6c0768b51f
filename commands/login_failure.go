package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/throttle"
)

// recordFailure reports a failed first factor and returns
// ErrInvalidCredentials, whatever happens to the report.
//
// Every failure is one structured line in the server log (msg "sign-in
// failed", with client_ip and reason; user_id only when an account
// matched), which fail2ban or CrowdSec can act on. The event log gets what an
// auditor needs at a bounded rate: a LoginFailed on the LoginAttemptsStream
// at most once per account name and once per client network (an IPv6 /48,
// an IPv4 /24) per audit window, and for names that match no account, at
// most auditGlobal's rate across all of them. What was typed as a username
// is never kept unless it named an account: people type passwords into
// that box. Names that match nobody spend the same buckets as names that
// do, so the work done does not tell them apart.
func (h LoginHandler) recordFailure(ctx context.Context, cmd Login, u domain.User, name, reason string) error {
	args := []any{"client_ip", cmd.Meta.ClientIP, "reason", reason, "request_id", cmd.Meta.RequestID}
	if u.Exists() {
		args = append(args, "user_id", u.ID)
	}
	h.logger.InfoContext(ctx, "sign-in failed", args...)

	audit, err := h.auditDue(ctx, cmd, u, name)
	if err == nil && audit {
		ev := domain.LoginFailed{UserID: u.ID, Username: u.Username, Provider: "local", Reason: reason}
		_, err = h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.LoginAttemptsStream, Expected: eventstore.Any, Events: []domain.Event{ev}})
	}
	if err != nil {
		// The server log line above has the attempt; the client's answer
		// must not change with the audit trail's health.
		h.logger.WarnContext(ctx, "sign-in failure not recorded in the log", "request_id", cmd.Meta.RequestID, "err", err)
	}
	return ErrInvalidCredentials
}

// auditDue reports whether this failure goes into the event log.
func (h LoginHandler) auditDue(ctx context.Context, cmd Login, u domain.User, name string) (bool, error) {
	now := h.now()
	account := "unknown:" + name
	if u.Exists() {
		account = u.ID
	}
	byAccount, err := h.budgets.Take(ctx, scopeAuditAccount, account, auditWindow, now)
	if err != nil {
		return false, err
	}
	byNetwork, err := h.budgets.Take(ctx, scopeAuditAddress, throttle.NetworkKey(cmd.Meta.ClientIP), auditWindow, now)
	if err != nil {
		return false, err
	}
	if !byAccount.Allowed && !byNetwork.Allowed {
		return false, nil
	}
	if u.Exists() {
		return true, nil
	}
	global, err := h.budgets.Take(ctx, scopeAuditGlobal, "", auditGlobal, now)
	return err == nil && global.Allowed, err
}
