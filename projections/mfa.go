package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// MFA is the MFA state read model: one row per user who ever started enrolling.
type MFA struct{}

// MFAName is the durable name of the MFA projection.
const MFAName = "mfa"

// MFA states as stored.
const (
	MFAStatePending = "pending"
	MFAStateEnabled = "enabled"
	MFAStateNone    = "none" // reset by an operator; as if never enrolled
)

func (MFA) Name() string     { return MFAName }
func (MFA) Tables() []string { return []string{"mfa_state"} }
func (MFA) Handles() []string {
	return []string{domain.TypeTOTPEnrollmentStarted, domain.TypeTOTPEnabled, domain.TypeTOTPUsed,
		domain.TypeRecoveryCodeUsed, domain.TypeMFAChallengeFailed, domain.TypeTOTPReset, domain.TypeRecoveryCodesRenewed}
}

func (MFA) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	table := t.Ident("mfa_state")
	var err error
	switch e := rec.Event.(type) {
	// Counters guard on the row's position, so applying an event twice counts it once.
	case domain.TOTPEnrollmentStarted:
		// A user whose TOTP is enabled cannot start over (the domain refuses),
		// so this only ever moves "none" or "pending" to "pending".
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (user_id, state, started_at, position) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET state = $2, started_at = $3, position = $4`,
			e.UserID, MFAStatePending, rec.RecordedAt, rec.Position)
	case domain.TOTPEnabled:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET state = $2, enabled_at = $3, last_used_at = $3, recovery_codes_remaining = $4, position = $5
			WHERE user_id = $1`, e.UserID, MFAStateEnabled, rec.RecordedAt, len(e.RecoveryCodes), rec.Position)
	case domain.TOTPUsed:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET last_used_at = $2, position = $3 WHERE user_id = $1`, e.UserID, rec.RecordedAt, rec.Position)
	case domain.RecoveryCodeUsed:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET last_used_at = $2, recovery_codes_remaining = $3, position = $4
			WHERE user_id = $1`, e.UserID, rec.RecordedAt, e.Remaining, rec.Position)
	case domain.RecoveryCodesRenewed:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET recovery_codes_remaining = $2, position = $3 WHERE user_id = $1`,
			e.UserID, len(e.RecoveryCodes), rec.Position)
	case domain.TOTPReset:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET state = $2, started_at = NULL, enabled_at = NULL, recovery_codes_remaining = 0, position = $3
			WHERE user_id = $1`, e.UserID, MFAStateNone, rec.Position)
	case domain.MFAChallengeFailed:
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET failed_challenges = failed_challenges + 1, position = $2 WHERE user_id = $1 AND position < $2`, e.UserID, rec.Position)
	}
	return err
}

// All returns every projection AuthPortal keeps.
func All() []Projection {
	return []Projection{Users{}, Sessions{}, MFA{}, Identities{}, ForwardAuth{}, Invites{},
		OAuthClients{}, OIDCTokens{}, // the OpenID Connect provider
	}
}
