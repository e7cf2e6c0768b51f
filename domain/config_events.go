package domain

import "encoding/json"

// Event types of the configuration sections ("config-<section>") and of
// backups ("backup-<name>", and "backup-slot-<slot>" for the schedule's
// claims). The strings are permanent.
const (
	TypeConfigSectionSaved = "config.section_saved"
	TypeBackupCreated      = "backup.created"
	TypeBackupDeleted      = "backup.deleted"
	TypeBackupRestored     = "backup.restored"
	TypeBackupSlotClaimed  = "backup.slot_claimed"
)

// ConfigSectionSaved makes a document the current version of a section.
// Version is its stream version, so the stream alone is the history. A
// restore is a save too, naming what it brought back: nothing is rewritten.
type ConfigSectionSaved struct {
	Section string `json:"section"`
	Version int64  `json:"version"`
	// Document is the whole section as stored: its secrets only sealed.
	Document     json.RawMessage `json:"document"`
	Reason       string          `json:"reason,omitempty"`
	Seeded       bool            `json:"seeded,omitempty"`       // version 1, from the environment
	RestoredFrom int64           `json:"restoredFrom,omitempty"` // the earlier version made current again
	Backup       string          `json:"backup,omitempty"`       // the backup file it came from
}

// BackupCreated records a backup file written under BACKUP_DIR.
type BackupCreated struct {
	Name     string   `json:"name"`
	Sections []string `json:"sections"`
	Slot     string   `json:"slot,omitempty"` // the schedule's slot ("daily-2026-11-23"); empty: run by hand
	Size     int64    `json:"size"`
	SHA256   string   `json:"sha256"` // of the file as written
}

// BackupDeleted records a backup file removed, by an admin or by retention.
type BackupDeleted struct {
	Name   string `json:"name"`
	Reason string `json:"reason"` // "admin", "retention"
}

// BackupRestored records the sections of a backup made current again, each
// as a new version (Versions: section -> the version it became).
type BackupRestored struct {
	Name     string           `json:"name"`
	Versions map[string]int64 `json:"versions"`
	Reason   string           `json:"reason,omitempty"`
}

// BackupSlotClaimed is appended with "no stream" expected to the slot's
// stream, in the same append as the backup's BackupCreated: however many
// nodes run the schedule, one backup is made per slot.
type BackupSlotClaimed struct {
	Slot string `json:"slot"`
	Name string `json:"name"`
}

func (ConfigSectionSaved) EventType() string  { return TypeConfigSectionSaved }
func (ConfigSectionSaved) SchemaVersion() int { return 1 }
func (BackupCreated) EventType() string       { return TypeBackupCreated }
func (BackupCreated) SchemaVersion() int      { return 1 }
func (BackupDeleted) EventType() string       { return TypeBackupDeleted }
func (BackupDeleted) SchemaVersion() int      { return 1 }
func (BackupRestored) EventType() string      { return TypeBackupRestored }
func (BackupRestored) SchemaVersion() int     { return 1 }
func (BackupSlotClaimed) EventType() string   { return TypeBackupSlotClaimed }
func (BackupSlotClaimed) SchemaVersion() int  { return 1 }

// BackupStream is the stream of one backup file's life.
func BackupStream(name string) string { return "backup-" + name }

// BackupSlotStream is the stream that claims one slot of the schedule.
func BackupSlotStream(slot string) string { return "backup-slot-" + slot }
