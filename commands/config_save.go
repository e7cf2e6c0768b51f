package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// ConfigConflictError is returned when a section is no longer at the version
// an edit started from: someone saved first. Current is the version now.
type ConfigConflictError struct {
	Section string
	Current int64
}

func (e *ConfigConflictError) Error() string {
	return fmt.Sprintf("commands: configuration %s changed meanwhile; it is at version %d", e.Section, e.Current)
}

func (e *ConfigConflictError) Unwrap() error { return eventstore.ErrVersionConflict }

// SaveConfig is an admin's edit of one section, made from version Expected.
type SaveConfig struct {
	Section  string
	Expected int64
	// Document is the whole section. Its secrets are new values (strings),
	// {"set": true} to keep the stored one, or empty for none.
	Document json.RawMessage
	Reason   string
	Meta     domain.Metadata
}

// SaveConfigResult is the version a save or restore made.
type SaveConfigResult struct {
	Result
	Version int64
}

// SaveConfigHandler handles SaveConfig.
type SaveConfigHandler struct {
	store  Store
	sealer *Sealer
}

// NewSaveConfigHandler panics on a nil dependency.
func NewSaveConfigHandler(store Store, sealer *Sealer) SaveConfigHandler {
	if store == nil || sealer == nil {
		panic("commands.NewSaveConfigHandler: nil dependency")
	}
	return SaveConfigHandler{store: store, sealer: sealer}
}

// Handle validates the document and appends it as the next version, only if
// the section is still at cmd.Expected (else *ConfigConflictError: the
// admin decides again on what is there now, nothing is merged).
func (h SaveConfigHandler) Handle(ctx context.Context, cmd SaveConfig) (SaveConfigResult, error) {
	doc, err := domain.DecodeConfig(cmd.Section, cmd.Document)
	if err != nil {
		return SaveConfigResult{}, err
	}
	events, version, err := h.store.Load(ctx, domain.ConfigStream(cmd.Section))
	if err != nil {
		return SaveConfigResult{}, fmt.Errorf("save config %s: %w", cmd.Section, err)
	}
	if version != cmd.Expected {
		return SaveConfigResult{}, &ConfigConflictError{Section: cmd.Section, Current: version}
	}
	var current domain.ConfigDocument
	if versions := domain.ConfigVersions(events); len(versions) > 0 {
		if current, err = domain.DecodeConfig(cmd.Section, versions[len(versions)-1].Document); err != nil {
			return SaveConfigResult{}, fmt.Errorf("save config %s: stored version %d: %w", cmd.Section, version, err)
		}
	}
	if err := sealSecrets(h.sealer, doc, current); err != nil {
		return SaveConfigResult{}, err
	}
	return appendConfig(ctx, h.store, cmd.Meta, cmd.Section, version, doc, domain.ConfigSectionSaved{Reason: cmd.Reason})
}

// sealSecrets turns an edit's secrets into their stored form: a new value
// is sealed, {"set": true} keeps what current holds (nothing, when current
// has none), anything else is no secret. A sealed value sent in an edit is
// refused: only this server seals.
func sealSecrets(sealer *Sealer, doc, current domain.ConfigDocument) error {
	var stored map[string]*domain.Secret
	if current != nil {
		stored = current.Secrets()
	}
	var problems []domain.FieldProblem
	for path, s := range doc.Secrets() {
		switch {
		case s.Sealed != "":
			problems = append(problems, domain.FieldProblem{Field: path, Reason: "must be a new value, or {\"set\": true} to keep the stored one"})
		case s.Plain != "":
			if len(s.Plain) > 4096 {
				problems = append(problems, domain.FieldProblem{Field: path, Reason: "must be at most 4096 characters"})
				continue
			}
			sealed, err := sealer.Seal([]byte(s.Plain), secretContext(path))
			if err != nil {
				return fmt.Errorf("seal %s: %w", path, err)
			}
			*s = domain.Secret{Sealed: sealed}
		case s.Keeps() && stored[path] != nil:
			*s = domain.Secret{Sealed: stored[path].Sealed}
		default:
			*s = domain.Secret{}
		}
	}
	if len(problems) > 0 {
		return &domain.ConfigInvalidError{Problems: problems}
	}
	return nil
}

// secretContext binds a sealed secret to its field: copied into another
// field (or anywhere else in the log) it does not open.
func secretContext(path string) string { return "config/" + path }

// OpenConfigSecret returns a stored secret's value, for the code that uses
// it (an SMTP client, a provider).
func (s *Sealer) OpenConfigSecret(path string, secret domain.Secret) (string, error) {
	if !secret.IsSet() {
		return "", nil
	}
	plain, err := s.Open(secret.Sealed, secretContext(path))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	return string(plain), nil
}

// appendConfig validates doc and appends it as version after+1 of section,
// expecting the stream at after.
func appendConfig(ctx context.Context, store Store, meta domain.Metadata, section string, after int64, doc domain.ConfigDocument, saved domain.ConfigSectionSaved) (SaveConfigResult, error) {
	if err := domain.ValidateConfig(doc); err != nil {
		return SaveConfigResult{}, err
	}
	raw, err := domain.EncodeConfig(doc)
	if err != nil {
		return SaveConfigResult{}, err
	}
	saved.Section, saved.Version, saved.Document = section, after+1, raw
	res, err := store.Append(ctx, meta, eventstore.Append{StreamID: domain.ConfigStream(section), Expected: eventstore.Exactly(after), Events: []domain.Event{saved}})
	var conflict *eventstore.VersionConflictError
	if errors.As(err, &conflict) {
		return SaveConfigResult{}, &ConfigConflictError{Section: section, Current: conflict.Actual}
	}
	if err != nil {
		return SaveConfigResult{}, fmt.Errorf("save config %s: %w", section, err)
	}
	return SaveConfigResult{Result: Result{Position: res.LastPosition}, Version: saved.Version}, nil
}
