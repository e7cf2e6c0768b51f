package queries

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5"
)

// InviteSummary is one invite as the admin console lists it. It never
// holds the invite's secret.
type InviteSummary struct {
	ID           string
	Email        string
	Role         string
	Link         bool
	State        string // domain.InviteState*: pending, sent, failed, accepted, expired, revoked
	CreatedAt    time.Time
	ExpiresAt    time.Time
	MaxUses      int
	Uses         int
	MailAttempts int
	MailError    string
}

// findInviteWait bounds how long FindInvite waits for the invites
// projection to reach the log's head before it says a digest is unknown.
const findInviteWait = 2 * time.Second

// FindInvite returns the invite whose token has digest (found false when
// none has). A digest not in the table yet may belong to an invite made a
// moment ago (a link pasted at once): it waits for the projection to reach
// the head of the log as it stands now, then looks again. It only finds the
// invite: whether it may be used is decided from its stream.
func (r *Reader) FindInvite(ctx context.Context, digest string) (id string, found bool, err error) {
	id, found, err = r.inviteByDigest(ctx, digest)
	if found || err != nil {
		return id, found, err
	}
	head, err := r.Head(ctx)
	if err != nil {
		return "", false, err
	}
	if err := r.WaitFor(ctx, projections.InvitesName, head, findInviteWait); err != nil {
		return "", false, err
	}
	return r.inviteByDigest(ctx, digest)
}

func (r *Reader) inviteByDigest(ctx context.Context, digest string) (string, bool, error) {
	var id string
	err := r.pool.QueryRow(ctx, `SELECT id FROM invites WHERE digest = $1`, digest).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("queries: invite by digest: %w", err)
	}
	return id, true, nil
}

// Invites lists the newest invites first, at most limit, with their state at now.
func (r *Reader) Invites(ctx context.Context, now time.Time, limit int) ([]InviteSummary, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, email, role, link, created_at, expires_at, max_uses, uses, revoked,
		mail_state, mail_attempts, mail_error FROM invites ORDER BY created_at DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("queries: invites: %w", err)
	}
	defer rows.Close()
	var out []InviteSummary
	for rows.Next() {
		var s InviteSummary
		var revoked bool
		var mail string
		if err := rows.Scan(&s.ID, &s.Email, &s.Role, &s.Link, &s.CreatedAt, &s.ExpiresAt, &s.MaxUses, &s.Uses, &revoked,
			&mail, &s.MailAttempts, &s.MailError); err != nil {
			return nil, fmt.Errorf("queries: invites: %w", err)
		}
		s.State = inviteState(revoked, s.Uses >= s.MaxUses, !now.Before(s.ExpiresAt), mail)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: invites: %w", err)
	}
	return out, nil
}

// inviteState orders the facts as domain.Invite.State does.
func inviteState(revoked, used, expired bool, mail string) string {
	switch {
	case revoked:
		return domain.InviteStateRevoked
	case used:
		return domain.InviteStateAccepted
	case expired:
		return domain.InviteStateExpired
	case mail == "sent":
		return domain.InviteStateSent
	case mail == "failed":
		return domain.InviteStateFailed
	}
	return domain.InviteStatePending
}

// InvitesOwingMail lists email invites whose mail is owed at now (never
// tried, or a failed attempt now due), oldest first, at most limit. The
// mailer decides from each invite's stream; a lagging row only costs a look.
func (r *Reader) InvitesOwingMail(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := r.pool.Query(ctx, `SELECT id FROM invites
		WHERE mail_state = 'pending' AND NOT link AND NOT revoked AND uses < max_uses AND expires_at > $1
		AND (retry_at IS NULL OR retry_at <= $1) ORDER BY created_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("queries: invites owing mail: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("queries: invites owing mail: %w", err)
	}
	return ids, nil
}
