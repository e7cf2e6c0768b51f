package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
	"github.com/authportal/authportal/workers"
)

// backupScheduleEvery is how often each node looks whether the current
// backup slot has its backup.
const backupScheduleEvery = time.Minute

// runtimeConfig is the versioned configuration store and backups, as the
// server wires them: the model every node follows, the API's handlers, and
// the backup schedule.
type runtimeConfig struct {
	model    *projections.Config
	sealer   *commands.Sealer
	seed     commands.SeedConfigHandler
	api      apihttp.ConfigAPI
	backups  apihttp.BackupsAPI
	schedule workers.BackupSchedule
}

func newRuntimeConfig(c Config, store *eventstore.Store, sealer *commands.Sealer, now func() time.Time, logger *slog.Logger) (runtimeConfig, error) {
	archive, err := commands.NewBackupArchive(c.DataKey)
	if err != nil {
		return runtimeConfig{}, fmt.Errorf("DATA_KEY: %w", err)
	}
	model := projections.NewConfig()
	files := commands.NewBackups(store, commands.NewBackupDir(c.BackupDir), archive, now, newID)
	return runtimeConfig{
		model: model, sealer: sealer,
		seed: commands.NewSeedConfigHandler(store, sealer),
		api: apihttp.ConfigAPI{Save: commands.NewSaveConfigHandler(store, sealer), Restore: commands.NewRestoreConfigHandler(store),
			History: queries.NewConfigHistory(store)},
		backups: apihttp.BackupsAPI{Files: files, Create: commands.NewCreateBackupHandler(files),
			Delete: commands.NewDeleteBackupHandler(files), Restore: commands.NewRestoreBackupHandler(files)},
		schedule: workers.NewBackupSchedule(model, files, now, logger),
	}, nil
}

// start seeds the sections that have no version yet from the environment
// and loads the current configuration.
func (r runtimeConfig) start(ctx context.Context, c Config, store *eventstore.Store, logger *slog.Logger) error {
	seeded, err := r.seed.Handle(ctx, commands.SeedConfig{Documents: seedDocuments(c), Meta: domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem}})
	if err != nil {
		return fmt.Errorf("configuration from the environment: %w", err)
	}
	if len(seeded) > 0 {
		logger.Info("configuration sections written from the environment", "sections", seeded)
	}
	return r.model.Load(ctx, store)
}

// run follows the log and runs the backup schedule until ctx ends.
func (r runtimeConfig) run(ctx context.Context, store *eventstore.Store, logger *slog.Logger) {
	var wg sync.WaitGroup
	wg.Go(func() { r.schedule.Run(ctx, backupScheduleEvery) })
	if err := r.model.Follow(ctx, store, logger); err != nil && ctx.Err() == nil {
		logger.Error("configuration model stopped", "err", err)
	}
	wg.Wait()
}
