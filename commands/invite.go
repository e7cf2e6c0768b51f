package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// InviteTokenDigest is how an invite's secret is kept and looked up: the
// token is 128 bits or more of randomness, so a plain SHA-256 is enough
// (nothing to guess offline), and the log never holds the token in clear.
func InviteTokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// loadInvite folds an invite's stream. Invite streams stay short: a few
// mail attempts per round, one event per use, a bounded number of uses.
func loadInvite(ctx context.Context, store Store, inviteID string) (domain.Invite, int64, error) {
	events, version, err := store.Load(ctx, domain.InviteStream(inviteID))
	if err != nil {
		return domain.Invite{}, 0, err
	}
	inv := domain.FoldInvite(events)
	if !inv.Exists() {
		return inv, 0, domain.ErrInviteNotFound
	}
	return inv, version, nil
}

// changeInvite is the load–decide–append loop of a command that changes one
// invite's stream and nothing else.
func changeInvite(ctx context.Context, store Store, what, inviteID string, meta domain.Metadata, decide func(domain.Invite) ([]domain.Event, error)) (Result, error) {
	return retry(ctx, what, func() (Result, error) {
		inv, version, err := loadInvite(ctx, store, inviteID)
		if err != nil {
			return Result{}, err
		}
		events, err := decide(inv)
		if err != nil || len(events) == 0 {
			return Result{}, err
		}
		res, err := store.Append(ctx, meta, eventstore.Append{StreamID: domain.InviteStream(inviteID), Expected: eventstore.Exactly(version), Events: events})
		if err != nil {
			return Result{}, fmt.Errorf("append invite-%s: %w", inviteID, err)
		}
		return Result{Position: res.LastPosition}, nil
	})
}
