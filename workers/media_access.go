package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AccessChecker asks one media server whether a linked account still has
// access, with the provider credential kept for it (clear; "" if none).
// An error means "could not tell": nothing changes then.
type AccessChecker interface {
	CheckAccess(ctx context.Context, identity queries.LinkedIdentity, token string) (access bool, reason string, err error)
}

// identityReader lists linked accounts (queries.Reader).
type identityReader interface {
	LinkedIdentities(ctx context.Context, providers []string) ([]queries.LinkedIdentity, error)
}

// accessRecorder records a media server's word (commands.RecheckMediaAccessHandler).
type accessRecorder interface {
	Handle(ctx context.Context, cmd commands.RecheckMediaAccess) (commands.Result, error)
}

// MediaAccessRecheck asks every media server, on a schedule, whether the
// friends linked to it still have access, so that one removed from the
// server loses it (and their sessions) without signing in again.
type MediaAccessRecheck struct {
	pool     *pgxpool.Pool
	reader   identityReader
	sealer   *commands.Sealer
	record   accessRecorder
	checkers map[string]AccessChecker // by provider
	logger   *slog.Logger
}

// NewMediaAccessRecheck panics on a nil dependency.
func NewMediaAccessRecheck(pool *pgxpool.Pool, reader identityReader, sealer *commands.Sealer, record accessRecorder,
	checkers map[string]AccessChecker, logger *slog.Logger) MediaAccessRecheck {
	if pool == nil || reader == nil || sealer == nil || record == nil || logger == nil {
		panic("workers.NewMediaAccessRecheck: nil dependency")
	}
	return MediaAccessRecheck{pool: pool, reader: reader, sealer: sealer, record: record, checkers: checkers, logger: logger}
}

// recheckLock is the advisory lock one run holds, so that several nodes do
// not ask the same servers the same questions at once.
const recheckLock = 0x4150_6d61 // "APma"

// Run re-checks every interval until ctx ends.
func (w MediaAccessRecheck) Run(ctx context.Context, interval time.Duration) {
	if len(w.checkers) == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if checked, changed, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
				w.logger.Warn("media access re-check", "checked", checked, "changed", changed, "err", err)
			} else if changed > 0 {
				w.logger.Info("media access re-checked", "checked", checked, "changed", changed)
			}
		}
	}
}

// RunOnce asks about every linked account once, unless another node is
// doing it right now. It returns how many it checked and how many changed.
func (w MediaAccessRecheck) RunOnce(ctx context.Context) (checked, changed int, err error) {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("media access re-check: %w", err)
	}
	defer conn.Release()
	var mine bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(recheckLock)).Scan(&mine); err != nil || !mine {
		return 0, 0, err
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(recheckLock)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("media access re-check: unlock: %w", uerr))
		}
	}()

	providers := make([]string, 0, len(w.checkers))
	for p := range w.checkers {
		providers = append(providers, p)
	}
	identities, err := w.reader.LinkedIdentities(ctx, providers)
	if err != nil {
		return 0, 0, err
	}
	for _, li := range identities {
		access, reason, err := w.check(ctx, li)
		if err != nil {
			// Could not tell (the server is down): leave access as it is.
			w.logger.Debug("media access not re-checked", "provider", li.Provider, "user_id", li.UserID, "err", err)
			continue
		}
		checked++
		res, err := w.record.Handle(ctx, commands.RecheckMediaAccess{UserID: li.UserID, Provider: li.Provider, Access: access, Reason: reason,
			Meta: domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem, CorrelationID: "media-access-recheck"}})
		if err != nil {
			return checked, changed, err
		}
		if res.Position > 0 {
			changed++
		}
	}
	return checked, changed, nil
}

// check asks the provider about one account. A credential that cannot be
// unsealed (another DATA_KEY, a damaged event) fails closed: no access
// until the user signs in again and brings a new one.
func (w MediaAccessRecheck) check(ctx context.Context, li queries.LinkedIdentity) (bool, string, error) {
	var token string
	if li.Token != "" {
		plain, err := w.sealer.Open(li.Token, li.UserID)
		if err != nil {
			return false, "credential_unreadable", nil
		}
		token = string(plain)
	}
	return w.checkers[li.Provider].CheckAccess(ctx, li, token)
}
