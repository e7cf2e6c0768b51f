package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/danielgtaylor/huma/v2"
)

// BackupsAPI is what the backup operations call.
type BackupsAPI struct {
	Files   backupFiles
	Create  backupCreator
	Delete  backupDeleter
	Restore backupRestorer
}

// backupFiles lists and reads backup files (commands.Backups).
type backupFiles interface {
	List() ([]commands.BackupInfo, error)
	Download(name string) ([]byte, error)
}

// backupCreator writes a backup (commands.CreateBackupHandler).
type backupCreator interface {
	Handle(ctx context.Context, cmd commands.CreateBackup) (commands.BackupInfo, error)
}

// backupDeleter removes one (commands.DeleteBackupHandler).
type backupDeleter interface {
	Handle(ctx context.Context, cmd commands.DeleteBackup) (commands.Result, error)
}

// backupRestorer makes a backup's sections current (commands.RestoreBackupHandler).
type backupRestorer interface {
	Handle(ctx context.Context, cmd commands.RestoreBackup) (commands.RestoreBackupResult, error)
}

type backupItem struct {
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"createdAt,omitzero"`
	Author     string    `json:"author,omitempty" doc:"The user id of the admin who made it, or system for the schedule"`
	AuthorKind string    `json:"authorKind,omitempty"`
	Sections   []string  `json:"sections"`
	Slot       string    `json:"slot,omitempty" doc:"The schedule's slot; empty for a backup made by hand"`
	Size       int64     `json:"size"`
	OK         bool      `json:"ok" doc:"false: the file cannot be restored here (see problem)"`
	Problem    string    `json:"problem,omitempty"`
}

func showBackup(b commands.BackupInfo) backupItem {
	item := backupItem{Name: b.Name, CreatedAt: b.CreatedAt, Author: b.Author, AuthorKind: b.AuthorKind, Sections: b.Sections,
		Slot: b.Slot, Size: b.Size, OK: b.Problem == nil}
	if item.Sections == nil {
		item.Sections = []string{}
	}
	switch {
	case errors.Is(b.Problem, commands.ErrBackupForeignKey):
		item.Problem = "made with another DATA_KEY"
	case b.Problem != nil:
		item.Problem = "damaged or not an AuthPortal backup"
	}
	return item
}

type backupListOutput struct {
	Body struct {
		Backups  []backupItem  `json:"backups"`
		Schedule configSection `json:"schedule" doc:"The backups configuration section"`
	}
}

type backupCreateInput struct {
	Body *struct {
		Sections []string `json:"sections,omitempty" maxItems:"5" doc:"Default: every section"`
	}
}

type backupOutput struct {
	Body backupItem
}

type backupNamePath struct {
	Name string `path:"name" maxLength:"80"`
}

type backupDownloadOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type backupRestoreInput struct {
	Name string `path:"name" maxLength:"80"`
	Body *struct {
		Reason string `json:"reason,omitempty" maxLength:"500"`
	}
}

type backupRestoreOutput struct {
	Body struct {
		Name     string           `json:"name"`
		Versions map[string]int64 `json:"versions" doc:"The version each section became"`
	}
}

type backupScheduleInput struct {
	Body struct {
		Schedule  string   `json:"schedule" doc:"off, hourly, daily or weekly"`
		Sections  []string `json:"sections" maxItems:"5"`
		Retention int      `json:"retention" doc:"Scheduled backups kept"`
		Reason    string   `json:"reason,omitempty" maxLength:"500"`
	}
}

// backupsAPI registers the backup operations.
func (s *Server) backupsAPI(api huma.API) {
	tags := []string{adminTag}
	admin := []int{http.StatusUnauthorized, http.StatusForbidden}
	huma.Register(api, huma.Operation{
		OperationID: "admin-backups-list", Method: http.MethodGet, Path: "/api/admin/backups", Tags: tags,
		Summary: "Backup files and the schedule", Errors: admin,
	}, s.backupList)
	huma.Register(api, huma.Operation{
		OperationID: "admin-backups-create", Method: http.MethodPost, Path: "/api/admin/backups", Tags: tags,
		Summary: "Make a backup now", DefaultStatus: http.StatusCreated, Errors: append(admin, http.StatusUnprocessableEntity),
	}, s.backupCreate)
	huma.Register(api, huma.Operation{
		OperationID: "admin-backups-schedule", Method: http.MethodPut, Path: "/api/admin/backups/schedule", Tags: tags,
		Summary: "Set the backup schedule (the backups section, as a new version)",
		Errors:  append(admin, http.StatusConflict, http.StatusUnprocessableEntity),
	}, s.backupSchedule)
	huma.Register(api, huma.Operation{
		OperationID: "admin-backups-download", Method: http.MethodGet, Path: "/api/admin/backups/{name}", Tags: tags,
		Summary: "Download a backup file (encrypted)", Errors: append(admin, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.backupDownload)
	huma.Register(api, huma.Operation{
		OperationID: "admin-backups-delete", Method: http.MethodDelete, Path: "/api/admin/backups/{name}", Tags: tags,
		Summary: "Delete a backup file", DefaultStatus: http.StatusNoContent, Errors: append(admin, http.StatusNotFound),
	}, s.backupDelete)
	huma.Register(api, huma.Operation{
		OperationID: "admin-backups-restore", Method: http.MethodPost, Path: "/api/admin/backups/{name}/restore", Tags: tags,
		Summary: "Make a backup's sections current again, each as a new version",
		Errors:  append(admin, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.backupRestore)
}

func (s *Server) backupList(ctx context.Context, _ *struct{}) (*backupListOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	list, err := s.deps.Backups.Files.List()
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	out := &backupListOutput{}
	out.Body.Backups = make([]backupItem, 0, len(list))
	for _, b := range list {
		out.Body.Backups = append(out.Body.Backups, showBackup(b))
	}
	versions, err := s.deps.Config.History.Versions(ctx, domain.SectionBackups)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	if out.Body.Schedule, err = showSection(domain.SectionBackups, versions, 0); err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return out, nil
}

func (s *Server) backupCreate(ctx context.Context, in *backupCreateInput) (*backupOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	var sections []string
	if in.Body != nil {
		sections = in.Body.Sections
	}
	for _, section := range sections {
		if !domain.KnownSection(section) {
			return nil, problemNoSection.err("There is no configuration section of that name.")
		}
	}
	info, err := s.deps.Backups.Create.Handle(ctx, commands.CreateBackup{Sections: sections, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return &backupOutput{Body: showBackup(info)}, nil
}

func (s *Server) backupDownload(ctx context.Context, in *backupNamePath) (*backupDownloadOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if !commands.ValidBackupName(in.Name) {
		return nil, s.configProblem(ctx, commands.ErrBackupNotFound)
	}
	file, err := s.deps.Backups.Files.Download(in.Name)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	// The name is one of ValidBackupName's: nothing in it needs quoting.
	return &backupDownloadOutput{ContentType: "application/octet-stream", ContentDisposition: `attachment; filename="` + in.Name + `"`, Body: file}, nil
}

func (s *Server) backupDelete(ctx context.Context, in *backupNamePath) (*struct{}, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.deps.Backups.Delete.Handle(ctx, commands.DeleteBackup{Name: in.Name, Reason: "admin", Meta: adminMeta(ctx, p)}); err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return nil, nil
}

func (s *Server) backupRestore(ctx context.Context, in *backupRestoreInput) (*backupRestoreOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	reason := "restored from backup " + in.Name
	if in.Body != nil && in.Body.Reason != "" {
		reason = in.Body.Reason
	}
	res, err := s.deps.Backups.Restore.Handle(ctx, commands.RestoreBackup{Name: in.Name, Reason: reason, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	out := &backupRestoreOutput{}
	out.Body.Name, out.Body.Versions = in.Name, res.Versions
	return out, nil
}

// backupSchedule saves the backups section from its current version: the
// schedule has no other editor in flight to protect, so last one wins (a
// save that lands in between is still answered 409).
func (s *Server) backupSchedule(ctx context.Context, in *backupScheduleInput) (*configSectionOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := s.deps.Config.History.Versions(ctx, domain.SectionBackups)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	doc, err := json.Marshal(domain.BackupsConfig{Schedule: in.Body.Schedule, Sections: in.Body.Sections, Retention: in.Body.Retention})
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	reason := in.Body.Reason
	if reason == "" {
		reason = "backup schedule"
	}
	res, err := s.deps.Config.Save.Handle(ctx, commands.SaveConfig{Section: domain.SectionBackups, Expected: int64(len(versions)),
		Document: doc, Reason: reason, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return s.savedSection(ctx, domain.SectionBackups, res.Version)
}
