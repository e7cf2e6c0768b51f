package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// RestoreConfig makes an earlier version of a section current again, as a
// new version: the history is never rewritten.
type RestoreConfig struct {
	Section string
	Version int64 // the version to bring back
	Reason  string
	Meta    domain.Metadata
}

// RestoreConfigHandler handles RestoreConfig.
type RestoreConfigHandler struct {
	store Store
}

// NewRestoreConfigHandler panics on a nil dependency.
func NewRestoreConfigHandler(store Store) RestoreConfigHandler {
	if store == nil {
		panic("commands.NewRestoreConfigHandler: nil dependency")
	}
	return RestoreConfigHandler{store: store}
}

// Handle appends version cmd.Version's document again, through the same
// validation as an edit (domain.ErrConfigVersionNotFound when there is no
// such version). A save that lands meanwhile is not lost: the restore is
// decided again after it, and appended after it.
func (h RestoreConfigHandler) Handle(ctx context.Context, cmd RestoreConfig) (SaveConfigResult, error) {
	if !domain.KnownSection(cmd.Section) {
		return SaveConfigResult{}, fmt.Errorf("%w: %q", domain.ErrUnknownSection, cmd.Section)
	}
	return retry(ctx, "restore config "+cmd.Section, func() (SaveConfigResult, error) {
		events, version, err := h.store.Load(ctx, domain.ConfigStream(cmd.Section))
		if err != nil {
			return SaveConfigResult{}, err
		}
		versions := domain.ConfigVersions(events)
		if cmd.Version < 1 || cmd.Version > int64(len(versions)) {
			return SaveConfigResult{}, domain.ErrConfigVersionNotFound
		}
		old := versions[cmd.Version-1]
		doc, err := domain.DecodeStoredConfig(cmd.Section, old.Document)
		if err != nil {
			return SaveConfigResult{}, err
		}
		return appendConfig(ctx, h.store, cmd.Meta, cmd.Section, version, doc, domain.ConfigSectionSaved{Reason: cmd.Reason, RestoredFrom: cmd.Version})
	})
}

// SeedConfig writes version 1 of each section that has none yet, from the
// environment. Secrets in the documents are plain values; they are sealed.
type SeedConfig struct {
	Documents map[string]domain.ConfigDocument
	Meta      domain.Metadata
}

// SeedConfigHandler handles SeedConfig.
type SeedConfigHandler struct {
	store  Store
	sealer *Sealer
}

// NewSeedConfigHandler panics on a nil dependency.
func NewSeedConfigHandler(store Store, sealer *Sealer) SeedConfigHandler {
	if store == nil || sealer == nil {
		panic("commands.NewSeedConfigHandler: nil dependency")
	}
	return SeedConfigHandler{store: store, sealer: sealer}
}

// Handle appends each document with "no stream" expected, so that nodes
// starting at once write one version 1 between them; a section that has a
// version keeps it (later versions win over the environment). It returns
// the sections it seeded.
func (h SeedConfigHandler) Handle(ctx context.Context, cmd SeedConfig) ([]string, error) {
	var seeded []string
	for _, section := range domain.Sections {
		doc, ok := cmd.Documents[section]
		if !ok {
			continue
		}
		if err := sealSecrets(h.sealer, doc, nil); err != nil {
			return seeded, fmt.Errorf("seed config %s: %w", section, err)
		}
		_, err := appendConfig(ctx, h.store, cmd.Meta, section, 0, doc, domain.ConfigSectionSaved{Reason: "from the environment at start", Seeded: true})
		if errors.Is(err, eventstore.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return seeded, fmt.Errorf("seed config %s: %w", section, err)
		}
		seeded = append(seeded, section)
	}
	return seeded, nil
}
