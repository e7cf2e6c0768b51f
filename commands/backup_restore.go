package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// RestoreBackup makes every section of a backup current again, each as a
// new version.
type RestoreBackup struct {
	Name   string
	Reason string
	Meta   domain.Metadata
}

// RestoreBackupResult is the version each section became.
type RestoreBackupResult struct {
	Result
	Versions map[string]int64
}

// RestoreBackupHandler handles RestoreBackup.
type RestoreBackupHandler struct{ b Backups }

// NewRestoreBackupHandler returns the handler over b.
func NewRestoreBackupHandler(b Backups) RestoreBackupHandler { return RestoreBackupHandler{b} }

// Handle opens the file (ErrBackupDamaged, ErrBackupForeignKey), validates
// every section as an edit would, and appends them all in one append, so
// that a file that fails anywhere changes nothing.
func (h RestoreBackupHandler) Handle(ctx context.Context, cmd RestoreBackup) (RestoreBackupResult, error) {
	file, err := h.b.dir.Read(cmd.Name)
	if err != nil {
		return RestoreBackupResult{}, err
	}
	header, content, err := h.b.archive.Open(file)
	if err != nil {
		return RestoreBackupResult{}, err
	}
	docs := map[string]domain.ConfigDocument{}
	for _, s := range header.Sections {
		doc, err := domain.DecodeStoredConfig(s, content[s].Document)
		if err != nil {
			return RestoreBackupResult{}, err
		}
		docs[s] = doc
	}
	return retry(ctx, "restore backup "+cmd.Name, func() (RestoreBackupResult, error) {
		versions := map[string]int64{}
		var appends []eventstore.Append
		for _, s := range header.Sections {
			_, version, err := h.b.store.Load(ctx, domain.ConfigStream(s))
			if err != nil {
				return RestoreBackupResult{}, err
			}
			raw, err := domain.EncodeConfig(docs[s])
			if err != nil {
				return RestoreBackupResult{}, err
			}
			versions[s] = version + 1
			appends = append(appends, eventstore.Append{StreamID: domain.ConfigStream(s), Expected: eventstore.Exactly(version),
				Events: []domain.Event{domain.ConfigSectionSaved{Section: s, Version: version + 1, Document: raw, Reason: cmd.Reason, Backup: cmd.Name}}})
		}
		appends = append(appends, eventstore.Append{StreamID: domain.BackupStream(cmd.Name), Expected: eventstore.Any,
			Events: []domain.Event{domain.BackupRestored{Name: cmd.Name, Versions: versions, Reason: cmd.Reason}}})
		res, err := h.b.store.Append(ctx, cmd.Meta, appends...)
		if err != nil {
			return RestoreBackupResult{}, fmt.Errorf("append: %w", err)
		}
		return RestoreBackupResult{Result: Result{Position: res.LastPosition}, Versions: versions}, nil
	})
}
