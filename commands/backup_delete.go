package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// DeleteBackup removes a backup file.
type DeleteBackup struct {
	Name   string
	Reason string // "admin", "retention"
	Meta   domain.Metadata
}

// DeleteBackupHandler handles DeleteBackup.
type DeleteBackupHandler struct{ b Backups }

// NewDeleteBackupHandler returns the handler over b.
func NewDeleteBackupHandler(b Backups) DeleteBackupHandler { return DeleteBackupHandler{b} }

// Handle removes the file, then records it (ErrBackupNotFound when there is none).
func (h DeleteBackupHandler) Handle(ctx context.Context, cmd DeleteBackup) (Result, error) {
	if err := h.b.dir.Remove(cmd.Name); err != nil {
		return Result{}, err
	}
	res, err := h.b.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.BackupStream(cmd.Name), Expected: eventstore.Any,
		Events: []domain.Event{domain.BackupDeleted{Name: cmd.Name, Reason: cmd.Reason}}})
	if err != nil {
		return Result{}, fmt.Errorf("delete backup %s: %w", cmd.Name, err)
	}
	return Result{Position: res.LastPosition}, nil
}
