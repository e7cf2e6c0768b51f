package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
	"github.com/danielgtaylor/huma/v2"
)

// The versioned configuration API: every section is a JSON document whose
// versions are events on its own stream. Reads go to the log itself (any
// node answers with every committed save); secrets are never shown, only
// whether one is set.

// ConfigAPI is what the configuration operations call.
type ConfigAPI struct {
	Save    configSaver
	Restore configRestorer
	History configHistory
}

// configSaver saves an admin's edit of a section (commands.SaveConfigHandler).
type configSaver interface {
	Handle(ctx context.Context, cmd commands.SaveConfig) (commands.SaveConfigResult, error)
}

// configRestorer makes an earlier version current (commands.RestoreConfigHandler).
type configRestorer interface {
	Handle(ctx context.Context, cmd commands.RestoreConfig) (commands.SaveConfigResult, error)
}

// configHistory lists a section's versions (queries.ConfigHistory).
type configHistory interface {
	Versions(ctx context.Context, section string) ([]queries.ConfigVersion, error)
}

var (
	problemInvalidConfig  = problemKind{http.StatusUnprocessableEntity, "invalid-config", "Invalid configuration"}
	problemNoSection      = problemKind{http.StatusNotFound, "no-such-section", "No such configuration section"}
	problemNoVersion      = problemKind{http.StatusNotFound, "no-such-version", "No such version"}
	problemBackupNotFound = problemKind{http.StatusNotFound, "no-such-backup", "No such backup"}
	problemBackupDamaged  = problemKind{http.StatusUnprocessableEntity, "backup-damaged", "Backup damaged"}
	problemBackupForeign  = problemKind{http.StatusUnprocessableEntity, "backup-foreign-key", "Backup from another key"}
)

// conflictProblem is the 409 of an edit made from an old version: the
// problem plus the version to reload.
type conflictProblem struct {
	huma.ErrorModel
	CurrentVersion int64 `json:"currentVersion"`
}

// configProblem maps the configuration and backup failures; the rest goes
// through apiError.
func (s *Server) configProblem(ctx context.Context, err error) error {
	var invalid *domain.ConfigInvalidError
	var conflict *commands.ConfigConflictError
	switch {
	case errors.As(err, &invalid):
		m := problemInvalidConfig.err("")
		for _, p := range invalid.Problems {
			loc := "body.config"
			if _, rest, ok := strings.Cut(p.Field, "."); ok {
				loc += "." + rest
			}
			m.Errors = append(m.Errors, &huma.ErrorDetail{Message: p.String(), Location: loc})
		}
		m.Detail = m.Errors[0].Message
		if n := len(m.Errors) - 1; n > 0 {
			m.Detail += " (and " + strconv.Itoa(n) + " more)"
		}
		return m
	case errors.As(err, &conflict):
		return &conflictProblem{
			ErrorModel: *problemConflict.err("Someone saved " + conflict.Section + " first: it is now at version " +
				strconv.FormatInt(conflict.Current, 10) + ". Reload it and make your change again."),
			CurrentVersion: conflict.Current,
		}
	case errors.Is(err, domain.ErrUnknownSection):
		return problemNoSection.err("There is no configuration section of that name.")
	case errors.Is(err, domain.ErrConfigVersionNotFound):
		return problemNoVersion.err("That version of the section was never saved.")
	case errors.Is(err, commands.ErrBackupNotFound):
		return problemBackupNotFound.err("There is no backup of that name.")
	case errors.Is(err, commands.ErrBackupForeignKey):
		return problemBackupForeign.err("This backup was made with another DATA_KEY (another installation), so it cannot be read here. Nothing was changed.")
	case errors.Is(err, commands.ErrBackupDamaged):
		return problemBackupDamaged.err("This backup file is damaged, cut short, or not an AuthPortal backup. Nothing was changed.")
	}
	return s.apiError(ctx, err)
}

type sectionPath struct {
	Section string `path:"section" maxLength:"32" doc:"providers, security, mfa, smtp or backups"`
}

// checkSection refuses a section name that is not one of domain.Sections.
func checkSection(section string) error {
	if !domain.KnownSection(section) {
		return problemNoSection.err("There is no configuration section of that name.")
	}
	return nil
}

// configSection is a section's current version, as an admin sees it.
type configSection struct {
	Section     string          `json:"section"`
	Version     int64           `json:"version" doc:"0 when the section was never saved"`
	Config      json.RawMessage `json:"config" doc:"The document; each secret only as {\"set\": true|false}"`
	SavedAt     *time.Time      `json:"savedAt,omitempty"`
	SavedBy     string          `json:"savedBy,omitempty" doc:"The user id of the admin, or system"`
	SavedByKind string          `json:"savedByKind,omitempty"`
	Reason      string          `json:"reason,omitempty"`
}

type configListOutput struct {
	Body struct {
		Sections []configSection `json:"sections"`
	}
}

type configPutInput struct {
	Section string `path:"section" maxLength:"32"`
	Body    struct {
		Version int64           `json:"version" minimum:"0" doc:"The version this edit was made from"`
		Config  json.RawMessage `json:"config" doc:"The whole section. A secret is a new value (a string), {\"set\": true} to keep the stored one, or \"\" for none"`
		Reason  string          `json:"reason,omitempty" maxLength:"500"`
	}
}

type configSectionOutput struct {
	Body configSection
}

type configVersionItem struct {
	Version      int64     `json:"version"`
	SavedAt      time.Time `json:"savedAt"`
	SavedBy      string    `json:"savedBy"`
	SavedByKind  string    `json:"savedByKind"`
	Reason       string    `json:"reason,omitempty"`
	Seeded       bool      `json:"seeded,omitempty" doc:"Version 1, from the environment"`
	RestoredFrom int64     `json:"restoredFrom,omitempty" doc:"The earlier version this one brought back"`
	Backup       string    `json:"backup,omitempty" doc:"The backup this version was restored from"`
}

type configHistoryOutput struct {
	Body struct {
		Section  string              `json:"section"`
		Versions []configVersionItem `json:"versions"`
	}
}

type configDiffInput struct {
	Section string `path:"section" maxLength:"32"`
	From    int64  `query:"from" minimum:"0" doc:"The older version; default: the one before to"`
	To      int64  `query:"to" minimum:"0" doc:"The newer version; default: the current one"`
}

type configDiffOutput struct {
	Body struct {
		Section string                `json:"section"`
		From    int64                 `json:"from"`
		To      int64                 `json:"to"`
		Changes []domain.ConfigChange `json:"changes"`
	}
}

type configRestoreInput struct {
	Section string `path:"section" maxLength:"32"`
	Body    struct {
		Version int64  `json:"version" minimum:"1" doc:"The version to make current again"`
		Reason  string `json:"reason,omitempty" maxLength:"500"`
	}
}

// configAPI registers the configuration operations.
func (s *Server) configAPI(api huma.API) {
	tags := []string{adminTag}
	admin := []int{http.StatusUnauthorized, http.StatusForbidden}
	huma.Register(api, huma.Operation{
		OperationID: "admin-config-list", Method: http.MethodGet, Path: "/api/admin/config", Tags: tags,
		Summary: "Every configuration section, current version", Errors: admin,
	}, s.configList)
	huma.Register(api, huma.Operation{
		OperationID: "admin-config-put", Method: http.MethodPut, Path: "/api/admin/config/{section}", Tags: tags,
		Summary: "Save a section as a new version",
		Errors:  append(admin, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity),
	}, s.configPut)
	huma.Register(api, huma.Operation{
		OperationID: "admin-config-history", Method: http.MethodGet, Path: "/api/admin/config/history/{section}", Tags: tags,
		Summary: "Every version of a section: who, when, why", Errors: append(admin, http.StatusNotFound),
	}, s.configHistory)
	// Not /api/admin/config/{section}/diff: Go's ServeMux refuses that beside
	// /api/admin/config/history/{section} (both match .../history/diff).
	huma.Register(api, huma.Operation{
		OperationID: "admin-config-diff", Method: http.MethodGet, Path: "/api/admin/config/history/{section}/diff", Tags: tags,
		Summary: "What changed between two versions of a section", Errors: append(admin, http.StatusNotFound),
	}, s.configDiff)
	huma.Register(api, huma.Operation{
		OperationID: "admin-config-restore", Method: http.MethodPost, Path: "/api/admin/config/{section}/restore", Tags: tags,
		Summary: "Make an earlier version current again, as a new version",
		Errors:  append(admin, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.configRestore)
}

func (s *Server) configList(ctx context.Context, _ *struct{}) (*configListOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	out := &configListOutput{}
	out.Body.Sections = []configSection{}
	for _, section := range domain.Sections {
		versions, err := s.deps.Config.History.Versions(ctx, section)
		if err != nil {
			return nil, s.configProblem(ctx, err)
		}
		shown, err := showSection(section, versions, 0)
		if err != nil {
			return nil, s.configProblem(ctx, err)
		}
		out.Body.Sections = append(out.Body.Sections, shown)
	}
	return out, nil
}

// showSection is version n of versions (the last when n is 0) as an admin sees it.
func showSection(section string, versions []queries.ConfigVersion, n int64) (configSection, error) {
	out := configSection{Section: section, Config: json.RawMessage("{}")}
	if n == 0 {
		n = int64(len(versions))
	}
	if n == 0 {
		return out, nil
	}
	if n > int64(len(versions)) {
		return out, domain.ErrConfigVersionNotFound
	}
	v := versions[n-1]
	doc, err := domain.DecodeConfig(section, v.Document)
	if err != nil {
		return out, err
	}
	if out.Config, err = domain.MaskConfig(doc); err != nil {
		return out, err
	}
	at := v.SavedAt
	out.Version, out.SavedAt, out.SavedBy, out.SavedByKind, out.Reason = v.Version, &at, v.Actor, string(v.ActorKind), v.Reason
	return out, nil
}

func (s *Server) configPut(ctx context.Context, in *configPutInput) (*configSectionOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkSection(in.Section); err != nil {
		return nil, err
	}
	res, err := s.deps.Config.Save.Handle(ctx, commands.SaveConfig{Section: in.Section, Expected: in.Body.Version,
		Document: in.Body.Config, Reason: in.Body.Reason, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return s.savedSection(ctx, in.Section, res.Version)
}

// savedSection answers with the version a save made, read back from the log.
func (s *Server) savedSection(ctx context.Context, section string, version int64) (*configSectionOutput, error) {
	versions, err := s.deps.Config.History.Versions(ctx, section)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	shown, err := showSection(section, versions, version)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return &configSectionOutput{Body: shown}, nil
}

func (s *Server) configHistory(ctx context.Context, in *sectionPath) (*configHistoryOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := checkSection(in.Section); err != nil {
		return nil, err
	}
	versions, err := s.deps.Config.History.Versions(ctx, in.Section)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	out := &configHistoryOutput{}
	out.Body.Section, out.Body.Versions = in.Section, make([]configVersionItem, 0, len(versions))
	for _, v := range versions {
		out.Body.Versions = append(out.Body.Versions, configVersionItem{Version: v.Version, SavedAt: v.SavedAt, SavedBy: v.Actor,
			SavedByKind: string(v.ActorKind), Reason: v.Reason, Seeded: v.Seeded, RestoredFrom: v.RestoredFrom, Backup: v.Backup})
	}
	return out, nil
}

func (s *Server) configDiff(ctx context.Context, in *configDiffInput) (*configDiffOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := checkSection(in.Section); err != nil {
		return nil, err
	}
	versions, err := s.deps.Config.History.Versions(ctx, in.Section)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	to, from := in.To, in.From
	if to == 0 {
		to = int64(len(versions))
	}
	if from == 0 {
		from = to - 1
	}
	if from < 1 || to < 1 || from > int64(len(versions)) || to > int64(len(versions)) {
		return nil, s.configProblem(ctx, domain.ErrConfigVersionNotFound)
	}
	a, err := domain.DecodeConfig(in.Section, versions[from-1].Document)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	b, err := domain.DecodeConfig(in.Section, versions[to-1].Document)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	changes, err := domain.DiffConfig(in.Section, a, b)
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	out := &configDiffOutput{}
	out.Body.Section, out.Body.From, out.Body.To, out.Body.Changes = in.Section, from, to, changes
	if out.Body.Changes == nil {
		out.Body.Changes = []domain.ConfigChange{}
	}
	return out, nil
}

func (s *Server) configRestore(ctx context.Context, in *configRestoreInput) (*configSectionOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkSection(in.Section); err != nil {
		return nil, err
	}
	reason := in.Body.Reason
	if reason == "" {
		reason = "restored version " + strconv.FormatInt(in.Body.Version, 10)
	}
	res, err := s.deps.Config.Restore.Handle(ctx, commands.RestoreConfig{Section: in.Section, Version: in.Body.Version, Reason: reason, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.configProblem(ctx, err)
	}
	return s.savedSection(ctx, in.Section, res.Version)
}
