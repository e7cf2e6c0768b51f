package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Config is the in-memory current configuration every node keeps, so that
// a saved section takes effect on every node without a restart and without
// a database read where it is used (a sign-in reads the session lifetime).
// It is loaded from the sections' streams and then kept current by
// following the log, like Access.
type Config struct {
	mu       sync.RWMutex
	current  map[string]domain.ConfigSectionSaved
	typed    map[string]any // the sections read where they are used, decoded once per version
	position int64
	changed  chan struct{} // closed and replaced whenever a section changes
	moved    chan struct{} // closed and replaced whenever position moves
}

// NewConfig returns an empty model at position 0.
func NewConfig() *Config {
	return &Config{current: map[string]domain.ConfigSectionSaved{}, typed: map[string]any{}, changed: make(chan struct{}), moved: make(chan struct{})}
}

// Load reads every section's current version. Its position is the head
// before the reads: what was appended during them is applied again when
// following, which is harmless (Apply keeps the highest version).
func (c *Config) Load(ctx context.Context, store *eventstore.Store) error {
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: config: %w", err)
	}
	for _, section := range domain.Sections {
		events, _, err := store.Load(ctx, domain.ConfigStream(section))
		if err != nil {
			return fmt.Errorf("projections: config: %w", err)
		}
		if versions := domain.ConfigVersions(events); len(versions) > 0 {
			c.set(versions[len(versions)-1])
		}
	}
	c.mu.Lock()
	c.setPosition(max(head, c.position))
	c.mu.Unlock()
	return nil
}

// Apply folds one event in. Events at or before the model's position are ignored.
func (c *Config) Apply(rec domain.Recorded) {
	if e, ok := rec.Event.(domain.ConfigSectionSaved); ok {
		c.set(e)
	}
	c.mu.Lock()
	if rec.Position > c.position {
		c.setPosition(rec.Position)
	}
	c.mu.Unlock()
}

// set makes e current unless a later version already is.
func (c *Config) set(e domain.ConfigSectionSaved) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.current[e.Section]; ok && cur.Version >= e.Version {
		return
	}
	c.current[e.Section] = e
	switch e.Section {
	case domain.SectionMFA:
		c.typed[e.Section] = decodeTyped[domain.MFAConfig](e.Document)
	case domain.SectionSecurity:
		c.typed[e.Section] = decodeTyped[domain.SecurityConfig](e.Document)
	case domain.SectionBackups:
		c.typed[e.Section] = decodeTyped[domain.BackupsConfig](e.Document)
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Config) setPosition(pos int64) {
	c.position = pos
	close(c.moved)
	c.moved = make(chan struct{})
}

// Position is the last event the model reflects.
func (c *Config) Position() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.position
}

// WaitFor blocks until the model reflects position pos, or ctx ends.
func (c *Config) WaitFor(ctx context.Context, pos int64) error {
	for {
		c.mu.RLock()
		at, moved := c.position, c.moved
		c.mu.RUnlock()
		if at >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: configuration at %d, waiting for %d: %w", ErrModelBehind, at, pos, context.Cause(ctx))
		case <-moved:
		}
	}
}

// Changed returns a channel that is closed at the next change of any
// section: read the sections again, then wait on a fresh Changed.
func (c *Config) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}

// Version returns a section's current version, 0 when it has none.
func (c *Config) Version(section string) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.current[section].Version
}

// Document decodes a section's current document (its secrets sealed) into
// a value of its own; false when the section has no version yet.
func (c *Config) Document(section string) (domain.ConfigDocument, bool, error) {
	c.mu.RLock()
	cur, ok := c.current[section]
	c.mu.RUnlock()
	if !ok {
		return nil, false, nil
	}
	doc, err := domain.DecodeConfig(section, cur.Document)
	if err != nil {
		return nil, false, fmt.Errorf("projections: config %s v%d: %w", section, cur.Version, err)
	}
	return doc, true, nil
}

// decodeTyped reads a stored document into its section's type; nil when it
// does not fit (then the section reads as not set, and its users keep their
// start-up values).
func decodeTyped[T any](doc json.RawMessage) *T {
	var v T
	if json.Unmarshal(doc, &v) != nil {
		return nil
	}
	return &v
}

// decode returns a section's value as cached by set.
func decode[T any](c *Config, section string) (T, bool) {
	c.mu.RLock()
	v, ok := c.typed[section].(*T)
	c.mu.RUnlock()
	if !ok || v == nil {
		var zero T
		return zero, false
	}
	return *v, true
}

// MFA is the current mfa section; false before it has a version.
func (c *Config) MFA() (domain.MFAConfig, bool) {
	return decode[domain.MFAConfig](c, domain.SectionMFA)
}

// Security is the current security section; false before it has a version.
func (c *Config) Security() (domain.SecurityConfig, bool) {
	return decode[domain.SecurityConfig](c, domain.SectionSecurity)
}

// SMTP is the current smtp section (its password sealed); false before it has a version.
func (c *Config) SMTP() (domain.SMTPConfig, bool) {
	return decode[domain.SMTPConfig](c, domain.SectionSMTP)
}

// Backups is the current backups section; false before it has a version.
func (c *Config) Backups() (domain.BackupsConfig, bool) {
	return decode[domain.BackupsConfig](c, domain.SectionBackups)
}

// Follow keeps the model current until ctx ends, through a watermill
// handler on the log.
func (c *Config) Follow(ctx context.Context, store *eventstore.Store, logger *slog.Logger) error {
	sub, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{
		StartAfter: func(context.Context, string) (int64, error) { return c.Position(), nil },
	})
	if err != nil {
		return err
	}
	router, err := NewRouter(logger)
	if err != nil {
		return err
	}
	router.AddConsumerHandler("config-model", "config-model", sub, func(msg *message.Message) error {
		if msg.Metadata.Get(eventstore.MetaName) != domain.TypeConfigSectionSaved {
			pos, err := eventstore.MessageRaw(msg)
			if err != nil {
				return err
			}
			c.mu.Lock()
			if pos.Position > c.position {
				c.setPosition(pos.Position)
			}
			c.mu.Unlock()
			return nil
		}
		rec, err := store.MessageEvent(msg)
		if err != nil {
			return err
		}
		c.Apply(rec)
		return nil
	})
	if err := router.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
