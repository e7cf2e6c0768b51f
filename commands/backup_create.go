package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Backups is what the backup use cases share: the log, the folder and the
// file format.
type Backups struct {
	store   Store
	dir     BackupDir
	archive *BackupArchive
	now     Clock
	newID   NewID
}

// NewBackups panics on a nil dependency.
func NewBackups(store Store, dir BackupDir, archive *BackupArchive, now Clock, newID NewID) Backups {
	if store == nil || dir.path == "" || archive == nil || now == nil || newID == nil {
		panic("commands.NewBackups: nil dependency")
	}
	return Backups{store: store, dir: dir, archive: archive, now: now, newID: newID}
}

// CreateBackup writes the current version of Sections to a new backup file.
type CreateBackup struct {
	Sections []string // empty: every section
	// Slot is the schedule's slot this backup is for; empty for a backup
	// run by hand. A slot gets one backup however many nodes try.
	Slot string
	Meta domain.Metadata
}

// BackupInfo describes a backup file.
type BackupInfo struct {
	BackupHeader
	Size int64
	// Problem is why the file cannot be restored (ErrBackupDamaged,
	// ErrBackupForeignKey); nil for a good one.
	Problem error
}

// CreateBackupHandler handles CreateBackup.
type CreateBackupHandler struct{ b Backups }

// NewCreateBackupHandler returns the handler over b.
func NewCreateBackupHandler(b Backups) CreateBackupHandler { return CreateBackupHandler{b} }

// Handle writes the file first and then records it, together with the
// slot's claim when there is one: a node that loses the claim to another
// removes its file (ErrBackupSlotTaken), and a node that dies before
// recording leaves the slot to be run again.
func (h CreateBackupHandler) Handle(ctx context.Context, cmd CreateBackup) (BackupInfo, error) {
	b := h.b
	sections := cmd.Sections
	if len(sections) == 0 {
		sections = domain.Sections
	}
	content := map[string]BackupSection{}
	var included []string
	for _, s := range sections {
		if !domain.KnownSection(s) {
			return BackupInfo{}, fmt.Errorf("%w: %q", domain.ErrUnknownSection, s)
		}
		events, _, err := b.store.Load(ctx, domain.ConfigStream(s))
		if err != nil {
			return BackupInfo{}, fmt.Errorf("create backup: %w", err)
		}
		if versions := domain.ConfigVersions(events); len(versions) > 0 && !slices.Contains(included, s) {
			last := versions[len(versions)-1]
			content[s] = BackupSection{Version: last.Version, Document: last.Document}
			included = append(included, s)
		}
	}
	now := b.now()
	header := BackupHeader{Name: newBackupName(now, b.newID()), CreatedAt: now.UTC(), Author: cmd.Meta.Actor,
		AuthorKind: string(cmd.Meta.ActorKind), Sections: included, Slot: cmd.Slot}
	file, err := b.archive.Seal(header, content)
	if err != nil {
		return BackupInfo{}, err
	}
	if err := b.dir.Write(header.Name, file); err != nil {
		return BackupInfo{}, err
	}
	sum := sha256.Sum256(file)
	created := domain.BackupCreated{Name: header.Name, Sections: included, Slot: cmd.Slot, Size: int64(len(file)), SHA256: hex.EncodeToString(sum[:])}
	appends := []eventstore.Append{{StreamID: domain.BackupStream(header.Name), Expected: eventstore.NoStream, Events: []domain.Event{created}}}
	if cmd.Slot != "" {
		appends = append(appends, eventstore.Append{StreamID: domain.BackupSlotStream(cmd.Slot), Expected: eventstore.NoStream,
			Events: []domain.Event{domain.BackupSlotClaimed{Slot: cmd.Slot, Name: header.Name}}})
	}
	if _, err := b.store.Append(ctx, cmd.Meta, appends...); err != nil {
		if rmErr := b.dir.Remove(header.Name); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		if errors.Is(err, eventstore.ErrVersionConflict) && cmd.Slot != "" {
			return BackupInfo{}, ErrBackupSlotTaken
		}
		return BackupInfo{}, fmt.Errorf("create backup: %w", err)
	}
	header.KeyCheck = ""
	return BackupInfo{BackupHeader: header, Size: int64(len(file))}, nil
}

// SlotTaken reports whether the schedule's slot already has its backup.
func (b Backups) SlotTaken(ctx context.Context, slot string) (bool, error) {
	_, version, err := b.store.Load(ctx, domain.BackupSlotStream(slot))
	if err != nil {
		return false, fmt.Errorf("backup slot %s: %w", slot, err)
	}
	return version > 0, nil
}

// List describes every backup file, newest first; a file that cannot be
// opened is listed with its Problem.
func (b Backups) List() ([]BackupInfo, error) {
	names, err := b.dir.Names()
	if err != nil {
		return nil, err
	}
	out := make([]BackupInfo, 0, len(names))
	for _, name := range names {
		file, err := b.dir.Read(name)
		if errors.Is(err, ErrBackupNotFound) {
			continue // deleted meanwhile
		}
		info := BackupInfo{Size: int64(len(file)), Problem: err}
		if err == nil {
			info.BackupHeader, _, info.Problem = b.archive.Open(file)
		}
		if info.Problem != nil {
			info.BackupHeader = BackupHeader{} // unproved: claims nothing
		}
		info.Name, info.KeyCheck = name, ""
		out = append(out, info)
	}
	return out, nil
}

// Download returns a backup file as it is, after checking it opens.
func (b Backups) Download(name string) ([]byte, error) {
	file, err := b.dir.Read(name)
	if err != nil {
		return nil, err
	}
	if _, _, err := b.archive.Open(file); err != nil {
		return nil, err
	}
	return file, nil
}
