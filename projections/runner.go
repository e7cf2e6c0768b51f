package projections

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Pool        *pgxpool.Pool     // required
	Store       *eventstore.Store // required
	Logger      *slog.Logger      // required
	Projections []Projection      // required
	// BatchSize is the most events applied in one transaction, catching up
	// or following. Default 1000.
	BatchSize int
	// StandbyInterval is how often a node without the lock tries to take it. Default 2s.
	StandbyInterval time.Duration
}

// Runner runs projections: on each node for each projection it either leads
// (holds the projection's advisory lock, catches up, follows live) or stands
// by until the leader's session ends.
type Runner struct {
	config RunnerConfig
}

// NewRunner checks config and returns a runner.
func NewRunner(config RunnerConfig) (*Runner, error) {
	var errs []error
	if config.Pool == nil {
		errs = append(errs, errors.New("Pool is required"))
	}
	if config.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if config.Logger == nil {
		errs = append(errs, errors.New("Logger is required"))
	}
	if len(config.Projections) == 0 {
		errs = append(errs, errors.New("Projections is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("projections: runner config: %w", err)
	}
	if config.BatchSize == 0 {
		config.BatchSize = 1000
	}
	if config.StandbyInterval == 0 {
		config.StandbyInterval = 2 * time.Second
	}
	return &Runner{config: config}, nil
}

// Run runs every projection until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range r.config.Projections {
		wg.Go(func() { r.lead(ctx, p) })
	}
	wg.Wait()
}

func (r *Runner) lead(ctx context.Context, p Projection) {
	log := r.config.Logger.With("projection", p.Name())
	for ctx.Err() == nil {
		err := r.leadOnce(ctx, p)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errStandby):
		default:
			log.Warn("projection stopped; will resume", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.config.StandbyInterval):
		}
	}
}

var errStandby = errors.New("another node leads")

// LockKey is the advisory lock a projection's leader holds.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("projection:" + name))
	return int64(h.Sum64() & 0x7fffffffffffffff)
}

func (r *Runner) leadOnce(ctx context.Context, p Projection) error {
	pooled, err := r.config.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The lock lives as long as this connection's session; closing the
	// connection (not returning it to the pool) is what releases it.
	lockConn := pooled.Hijack()
	defer lockConn.Close(context.WithoutCancel(ctx))
	var leader bool
	if err := lockConn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, LockKey(p.Name())).Scan(&leader); err != nil {
		return fmt.Errorf("take leader lock: %w", err)
	}
	if !leader {
		return errStandby
	}
	if err := EnsureCheckpoint(ctx, r.config.Pool, p.Name()); err != nil {
		return err
	}
	if err := r.catchUp(ctx, p); err != nil {
		return err
	}
	return r.follow(ctx, p, lockConn)
}

// EnsureCheckpoint creates a projection's checkpoint row at 0 if missing.
func EnsureCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string) error {
	_, err := pool.Exec(ctx, `INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING`, name)
	if err != nil {
		return fmt.Errorf("projections: create checkpoint %s: %w", name, err)
	}
	return nil
}

// Checkpoint returns a projection's position.
func Checkpoint(ctx context.Context, pool *pgxpool.Pool, name string) (int64, error) {
	var pos int64
	err := pool.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE name = $1`, name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projections: read checkpoint %s: %w", name, err)
	}
	return pos, nil
}

// catchUp applies the log in batches, one transaction each, until it is at the head.
func (r *Runner) catchUp(ctx context.Context, p Projection) error {
	tables := identity(p)
	for {
		_, n, err := applyNext(ctx, r.config.Pool, r.config.Store, p, tables, r.config.BatchSize)
		if err != nil {
			return err
		}
		if n < r.config.BatchSize {
			return nil
		}
	}
}

// follow applies new events as watermill delivers them, until ctx ends or
// the leader lock's connection dies. A delivered event is the signal, not
// the unit of work: the handler applies everything the log holds after the
// checkpoint, up to a batch, in one transaction with one checkpoint move, and
// acks the events that batch already covered without touching the database.
// One transaction per event held every projection back under sustained load.
func (r *Runner) follow(ctx context.Context, p Projection, lockConn *pgx.Conn) error {
	ctx, cancel := context.WithCancelCause(ctx)
	// The lock watcher below must be gone before leadOnce closes lockConn:
	// a Ping still running would use a closed connection.
	var watcher sync.WaitGroup
	defer func() {
		cancel(nil)
		watcher.Wait()
	}()

	sub, err := eventstore.NewSubscriber(r.config.Store, eventstore.SubscriberConfig{
		StartAfter: func(ctx context.Context, topic string) (int64, error) {
			return Checkpoint(ctx, r.config.Pool, topic)
		},
	})
	if err != nil {
		return err
	}
	router, err := NewRouter(r.config.Logger)
	if err != nil {
		return err
	}
	tables := identity(p)
	// applied is a checkpoint this leader committed. The checkpoint never
	// moves back (a rebuild's swap leaves it at the head or later), so an
	// event at or before it is applied already. Handler calls never overlap:
	// the subscriber sends the next message only once this one is acked.
	var applied int64
	router.AddConsumerHandler(p.Name(), p.Name(), sub, func(msg *message.Message) error {
		raw, err := eventstore.MessageRaw(msg)
		if err != nil {
			return err
		}
		if raw.Position <= applied {
			return nil
		}
		cp, _, err := applyNext(msg.Context(), r.config.Pool, r.config.Store, p, tables, r.config.BatchSize)
		if err == nil && raw.Position > cp {
			err = fmt.Errorf("%w: %s at %d, got %d", errGap, p.Name(), cp, raw.Position)
		}
		if errors.Is(err, errGap) {
			cancel(err) // start over from the checkpoint
		}
		if err != nil {
			return err
		}
		applied = cp
		return nil
	})

	watcher.Go(func() {
		// Losing the lock's session means another node may lead now: stop.
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := lockConn.Ping(ctx); err != nil {
					cancel(fmt.Errorf("leader lock connection lost: %w", err))
					return
				}
			}
		}
	})
	if err := router.Run(ctx); err != nil {
		return err
	}
	return context.Cause(ctx)
}

var errGap = errors.New("projections: event delivered ahead of checkpoint")

// applyNext applies up to limit events after the checkpoint and moves the
// checkpoint to the last of them, in one transaction, and returns the new
// checkpoint and how many events it read. The checkpoint row is locked
// first, which serialises this with a rebuild's swap, and the events are
// read on the same transaction (see eventstore.ReadAllIn), so they always
// start right after the checkpoint they are applied on.
func applyNext(ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, p Projection, t Tables, limit int) (int64, int, error) {
	handled := handles(p)
	var last int64
	var n int
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var cp int64
		if err := tx.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, p.Name()).Scan(&cp); err != nil {
			return fmt.Errorf("lock checkpoint %s: %w", p.Name(), err)
		}
		batch, err := store.ReadAllIn(ctx, tx, cp, limit)
		if err != nil {
			return err
		}
		last, n = cp, len(batch)
		for _, rec := range batch {
			if rec.Position != last+1 {
				return fmt.Errorf("%w: %s at %d, read %d", errGap, p.Name(), last, rec.Position)
			}
			if handled[rec.Type] {
				if err := p.Apply(ctx, tx, t, rec); err != nil {
					return fmt.Errorf("%s: apply %s at %d: %w", p.Name(), rec.Type, rec.Position, err)
				}
			}
			last = rec.Position
		}
		if last == cp {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1`, p.Name(), last)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return last, n, nil
}
