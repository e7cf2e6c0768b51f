package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// ConfigVersion is one saved version of a configuration section, with who
// saved it, when and why. Document is as stored: secrets sealed.
type ConfigVersion struct {
	Section      string
	Version      int64
	Document     json.RawMessage
	SavedAt      time.Time
	Actor        string
	ActorKind    domain.ActorKind
	Reason       string
	Seeded       bool
	RestoredFrom int64
	Backup       string
}

// ConfigHistory reads configuration sections from the log itself, so that
// an admin on any node sees every save the moment it is committed.
type ConfigHistory struct {
	store *eventstore.Store
}

// NewConfigHistory panics on a nil store.
func NewConfigHistory(store *eventstore.Store) ConfigHistory {
	if store == nil {
		panic("queries.NewConfigHistory: nil store")
	}
	return ConfigHistory{store: store}
}

// Versions returns every version of section, oldest first.
func (h ConfigHistory) Versions(ctx context.Context, section string) ([]ConfigVersion, error) {
	recs, err := h.store.ReadStream(ctx, domain.ConfigStream(section))
	if err != nil {
		return nil, fmt.Errorf("queries: config history %s: %w", section, err)
	}
	out := make([]ConfigVersion, 0, len(recs))
	for _, r := range recs {
		e, ok := r.Event.(domain.ConfigSectionSaved)
		if !ok {
			continue
		}
		out = append(out, ConfigVersion{Section: section, Version: e.Version, Document: e.Document, SavedAt: r.RecordedAt,
			Actor: r.Metadata.Actor, ActorKind: r.Metadata.ActorKind, Reason: e.Reason, Seeded: e.Seeded,
			RestoredFrom: e.RestoredFrom, Backup: e.Backup})
	}
	return out, nil
}
