package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Protected hosts (forward auth): add, update, remove. A host name is
// unique through its claim stream ("hostname-<name>"): each command appends
// the claim (or release) expecting the version it read, so two admins adding
// the same name at once cannot both succeed.

// AddHost registers a protected host.
type AddHost struct {
	Spec domain.HostSpec
	Meta domain.Metadata
}

// AddHostResult is the new host.
type AddHostResult struct {
	Result
	HostID string
	Host   string // stored form
}

// UpdateHost changes a host's name, display name or forward-auth flag.
type UpdateHost struct {
	HostID string
	Spec   domain.HostSpec
	Meta   domain.Metadata
}

// RemoveHost takes a host away.
type RemoveHost struct {
	HostID string
	Meta   domain.Metadata
}

// HostsHandler handles AddHost, UpdateHost and RemoveHost.
type HostsHandler struct {
	store Store
	newID NewID
}

// NewHostsHandler panics on a nil dependency.
func NewHostsHandler(store Store, newID NewID) HostsHandler {
	if store == nil || newID == nil {
		panic("commands.NewHostsHandler: nil dependency")
	}
	return HostsHandler{store: store, newID: newID}
}

// Add registers the host: *domain.InvalidInputError for a bad name,
// domain.ErrHostTaken when another host has it.
func (h HostsHandler) Add(ctx context.Context, cmd AddHost) (AddHostResult, error) {
	added, err := domain.AddHost(h.newID(), cmd.Spec)
	if err != nil {
		return AddHostResult{}, err
	}
	return retry(ctx, "add host", func() (AddHostResult, error) {
		claim, err := h.claim(ctx, added.Host, added.HostID)
		if err != nil {
			return AddHostResult{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, claim,
			eventstore.Append{StreamID: domain.HostStream(added.HostID), Expected: eventstore.NoStream, Events: []domain.Event{added}})
		if err != nil {
			return AddHostResult{}, fmt.Errorf("append host-%s: %w", added.HostID, err)
		}
		return AddHostResult{Result: Result{Position: res.LastPosition}, HostID: added.HostID, Host: added.Host}, nil
	})
}

// Update changes the host: domain.ErrHostNotFound, *domain.InvalidInputError,
// domain.ErrHostTaken. The same values again append nothing.
func (h HostsHandler) Update(ctx context.Context, cmd UpdateHost) (Result, error) {
	return retry(ctx, "update host", func() (Result, error) {
		host, version, err := h.load(ctx, cmd.HostID)
		if err != nil {
			return Result{}, err
		}
		change, renamed, err := host.Update(cmd.Spec)
		if err != nil || change == nil {
			return Result{}, err
		}
		appends := []eventstore.Append{{StreamID: domain.HostStream(host.ID), Expected: eventstore.Exactly(version), Events: []domain.Event{*change}}}
		if renamed {
			claim, err := h.claim(ctx, change.Host, host.ID)
			if err != nil {
				return Result{}, err
			}
			release, err := h.release(ctx, host)
			if err != nil {
				return Result{}, err
			}
			appends = append(appends, claim, release)
		}
		res, err := h.store.Append(ctx, cmd.Meta, appends...)
		if err != nil {
			return Result{}, fmt.Errorf("append host-%s: %w", host.ID, err)
		}
		return Result{Position: res.LastPosition}, nil
	})
}

// Remove takes the host away and frees its name: domain.ErrHostNotFound.
func (h HostsHandler) Remove(ctx context.Context, cmd RemoveHost) (Result, error) {
	return retry(ctx, "remove host", func() (Result, error) {
		host, version, err := h.load(ctx, cmd.HostID)
		if err != nil {
			return Result{}, err
		}
		removed, err := host.Remove()
		if err != nil {
			return Result{}, err
		}
		release, err := h.release(ctx, host)
		if err != nil {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: domain.HostStream(host.ID), Expected: eventstore.Exactly(version), Events: []domain.Event{removed}}, release)
		if err != nil {
			return Result{}, fmt.Errorf("append host-%s: %w", host.ID, err)
		}
		return Result{Position: res.LastPosition}, nil
	})
}

// load folds a host that exists (added, not removed).
func (h HostsHandler) load(ctx context.Context, id string) (domain.Host, int64, error) {
	return loadHost(ctx, h.store, id)
}

// loadHost folds a host that exists (added, not removed), or
// domain.ErrHostNotFound.
func loadHost(ctx context.Context, store Store, id string) (domain.Host, int64, error) {
	if id == "" {
		return domain.Host{}, 0, domain.ErrHostNotFound
	}
	events, version, err := store.Load(ctx, domain.HostStream(id))
	if err != nil {
		return domain.Host{}, 0, err
	}
	host := domain.FoldHost(events)
	if !host.Exists() {
		return domain.Host{}, 0, domain.ErrHostNotFound
	}
	return host, version, nil
}

// claim is the append that reserves name for hostID, or ErrHostTaken.
func (h HostsHandler) claim(ctx context.Context, name, hostID string) (eventstore.Append, error) {
	claims, version, err := h.store.Load(ctx, domain.HostNameStream(name))
	if err != nil {
		return eventstore.Append{}, err
	}
	if owner := domain.ClaimedHostID(claims); owner != "" && owner != hostID {
		return eventstore.Append{}, domain.ErrHostTaken
	}
	return eventstore.Append{StreamID: domain.HostNameStream(name), Expected: eventstore.Exactly(version),
		Events: []domain.Event{domain.HostNameClaimed{Host: name, HostID: hostID}}}, nil
}

// release is the append that frees host's current name.
func (h HostsHandler) release(ctx context.Context, host domain.Host) (eventstore.Append, error) {
	_, version, err := h.store.Load(ctx, domain.HostNameStream(host.Host))
	if err != nil {
		return eventstore.Append{}, err
	}
	return eventstore.Append{StreamID: domain.HostNameStream(host.Host), Expected: eventstore.Exactly(version),
		Events: []domain.Event{domain.HostNameReleased{Host: host.Host, HostID: host.ID}}}, nil
}
