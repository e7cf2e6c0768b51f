package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// CreateInvite invites someone by email, or makes a shareable link.
type CreateInvite struct {
	Email          string
	Role           string // "user" (default) or "admin"
	PermissionMode string // "allow_all" (default) or "deny_all"
	PermittedHosts []string
	Link           bool   // a link shown once to the admin instead of a mail
	MaxUses        int    // link invites only
	Provision      string // "jellyfin" or "emby": accepting also creates the media account
	Meta           domain.Metadata
}

// CreateInviteResult is the new invite. Token is set for a link invite
// only: the admin sees it once; an email invite's token goes to the mailer
// sealed, and to nobody else.
type CreateInviteResult struct {
	Result
	InviteID  string
	Token     string
	ExpiresAt time.Time
}

// CreateInviteHandler handles CreateInvite.
type CreateInviteHandler struct {
	store    Store
	sealer   *Sealer
	newID    NewID
	newToken NewID
	now      Clock
	ttl      time.Duration

	provisioners MediaProvisioners // nil: no invite may ask for a media account
}

// NewCreateInviteHandler panics on a nil dependency. ttl is INVITE_TTL.
func NewCreateInviteHandler(store Store, sealer *Sealer, newID, newToken NewID, now Clock, ttl time.Duration) CreateInviteHandler {
	if store == nil || sealer == nil || newID == nil || newToken == nil || now == nil || ttl <= 0 {
		panic("commands.NewCreateInviteHandler: nil dependency")
	}
	return CreateInviteHandler{store: store, sealer: sealer, newID: newID, newToken: newToken, now: now, ttl: ttl}
}

// Handle appends invite.created. The mailer picks it up from the log.
// Every permitted host must be a protected host now (as SetPermissions
// checks); one removed before the invite is accepted only leaves an id
// that matches nothing.
func (h CreateInviteHandler) Handle(ctx context.Context, cmd CreateInvite) (CreateInviteResult, error) {
	for _, id := range cmd.PermittedHosts[:min(len(cmd.PermittedHosts), domain.MaxInviteHosts)] { // past it, CreateInvite says so
		_, _, err := loadHost(ctx, h.store, id)
		if errors.Is(err, domain.ErrHostNotFound) {
			return CreateInviteResult{}, &domain.InvalidInputError{Field: "permitted_hosts", Reason: "every listed host must be a protected host (ids as /api/admin/hosts lists them)"}
		}
		if err != nil {
			return CreateInviteResult{}, fmt.Errorf("create invite: %w", err)
		}
	}
	if err := checkProvision(h.provisioners, cmd.Provision); err != nil {
		return CreateInviteResult{}, err
	}
	id, token := h.newID(), h.newToken()
	sealed, err := h.sealer.Seal([]byte(token), domain.InviteStream(id))
	if err != nil {
		return CreateInviteResult{}, fmt.Errorf("create invite: %w", err)
	}
	created, err := domain.CreateInvite(domain.NewInvite{
		ID: id, Email: cmd.Email, Role: cmd.Role, PermissionMode: cmd.PermissionMode, PermittedHosts: cmd.PermittedHosts,
		Link: cmd.Link, MaxUses: cmd.MaxUses, TokenDigest: InviteTokenDigest(token), SealedToken: sealed,
		ExpiresAt: h.now().Add(h.ttl), Provision: cmd.Provision,
	})
	if err != nil {
		return CreateInviteResult{}, err
	}
	res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.InviteStream(id), Expected: eventstore.NoStream, Events: []domain.Event{created}})
	if err != nil {
		return CreateInviteResult{}, fmt.Errorf("create invite: %w", err)
	}
	out := CreateInviteResult{Result: Result{Position: res.LastPosition}, InviteID: id, ExpiresAt: created.ExpiresAt}
	if cmd.Link {
		out.Token = token
	}
	return out, nil
}
