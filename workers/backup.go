package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// scheduleSource is the current backups section (queries.ConfigModel).
type scheduleSource interface {
	Backups() (domain.BackupsConfig, bool)
	// Changed is closed at the next change of the configuration.
	Changed() <-chan struct{}
}

// BackupSchedule makes the scheduled backups. Every node runs it; the slot
// (this hour, day or ISO week) is claimed in the log in the same append
// that records the backup, so a slot gets one backup however many nodes
// try, and a node that was down (or restarted) at the start of a slot
// makes it when it comes back within the slot.
type BackupSchedule struct {
	config  scheduleSource
	backups commands.Backups
	create  commands.CreateBackupHandler
	remove  commands.DeleteBackupHandler
	now     func() time.Time
	logger  *slog.Logger
}

// NewBackupSchedule panics on a nil dependency.
func NewBackupSchedule(config scheduleSource, backups commands.Backups, now func() time.Time, logger *slog.Logger) BackupSchedule {
	if config == nil || now == nil || logger == nil {
		panic("workers.NewBackupSchedule: nil dependency")
	}
	return BackupSchedule{config: config, backups: backups, create: commands.NewCreateBackupHandler(backups),
		remove: commands.NewDeleteBackupHandler(backups), now: now, logger: logger}
}

// Run looks at the schedule every interval, and as soon as the
// configuration changes (a schedule just turned on starts now), until ctx
// ends.
func (w BackupSchedule) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		changed := w.config.Changed()
		if made, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.logger.Warn("scheduled backup failed; tried again at the next look", "err", err)
		} else if made != "" {
			w.logger.Info("scheduled backup made", "name", made)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
	}
}

// RunOnce makes the current slot's backup unless it exists (or the schedule
// is off), then deletes the scheduled backups past the retention. It
// returns the new backup's name, "" when it made none.
func (w BackupSchedule) RunOnce(ctx context.Context) (string, error) {
	cfg, ok := w.config.Backups()
	if !ok || cfg.Schedule == "off" {
		return "", nil
	}
	slot := BackupSlot(cfg.Schedule, w.now())
	taken, err := w.backups.SlotTaken(ctx, slot)
	if err != nil || taken {
		return "", err
	}
	meta := domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem}
	info, err := w.create.Handle(ctx, commands.CreateBackup{Sections: cfg.Sections, Slot: slot, Meta: meta})
	if errors.Is(err, commands.ErrBackupSlotTaken) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("backup slot %s: %w", slot, err)
	}
	return info.Name, w.prune(ctx, cfg.Retention, meta)
}

// prune deletes the scheduled backups of all but the keep newest slots.
// It counts slots, not files: a node that lost the current slot's claim may
// not have removed its file yet, and that file must not push a good
// backup out. Backups made by hand are the admin's to delete.
func (w BackupSchedule) prune(ctx context.Context, keep int, meta domain.Metadata) error {
	list, err := w.backups.List()
	if err != nil {
		return err
	}
	var errs []error
	rank := map[string]int{}
	for _, b := range list { // newest first
		if b.Problem != nil || b.Slot == "" {
			continue
		}
		if _, seen := rank[b.Slot]; !seen {
			rank[b.Slot] = len(rank) + 1
		}
		if rank[b.Slot] <= keep {
			continue
		}
		_, err := w.remove.Handle(ctx, commands.DeleteBackup{Name: b.Name, Reason: "retention", Meta: meta})
		if err != nil && !errors.Is(err, commands.ErrBackupNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// BackupSlot names the slot of schedule that t falls in (UTC).
func BackupSlot(schedule string, t time.Time) string {
	t = t.UTC()
	switch schedule {
	case "hourly":
		return t.Format("hourly-2006-01-02T15")
	case "weekly":
		year, week := t.ISOWeek()
		return fmt.Sprintf("weekly-%04d-W%02d", year, week)
	}
	return t.Format("daily-2006-01-02")
}
