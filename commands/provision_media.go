package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers/mediabrowser"
)

// MediaAccounts makes and removes accounts on a media server with its
// admin API (*mediabrowser.Client). CreateUser returns the new account's
// id: the subject its sign-ins will carry.
type MediaAccounts interface {
	CreateUser(ctx context.Context, name, password string, policy mediabrowser.Policy) (string, error)
	DeleteUser(ctx context.Context, id string) error
}

// MediaProvisioners finds the media server an invite provisions on, as the
// configuration stands now: found only when that server is enabled and has
// its API key.
type MediaProvisioners interface {
	MediaAccounts(provider string) (MediaAccounts, bool)
}

var (
	// ErrMediaNameTaken is returned by AcceptInvite when the media server an
	// invite provisions on already has a user of the chosen name.
	ErrMediaNameTaken = errors.New("commands: that name is taken on the media server")
	// ErrProvisionUnavailable is returned by AcceptInvite when the invite
	// provisions on a media server that is not enabled with an API key now,
	// or that could not make the account; nothing was written.
	ErrProvisionUnavailable = errors.New("commands: the media account could not be created")
)

// provisionedReason is the reason recorded with the media access of an
// account an invite created on the media server.
const provisionedReason = "provisioned"

// WithProvisioning lets invites ask for a media account (CreateInvite
// checks the server is available; AcceptInvite creates the account).
func (h CreateInviteHandler) WithProvisioning(p MediaProvisioners) CreateInviteHandler {
	h.provisioners = p
	return h
}

// WithProvisioning lets accepting an invite create the friend's media
// account when the invite asks for it.
func (h AcceptInviteHandler) WithProvisioning(p MediaProvisioners) AcceptInviteHandler {
	h.provisioners = p
	return h
}

// checkProvision is CreateInvite's check: the invite may only ask for a
// media server that can make accounts now.
func checkProvision(p MediaProvisioners, provider string) error {
	if provider == "" {
		return nil
	}
	if p != nil {
		if _, ok := p.MediaAccounts(provider); ok {
			return nil
		}
	}
	return &domain.InvalidInputError{Field: "provision", Reason: "a media server that is enabled and has its API key set (" +
		map[string]string{"jellyfin": "JELLYFIN_API_KEY", "emby": "EMBY_API_KEY"}[provider] + ")"}
}

// provisionMedia creates the friend's account on the invite's media server
// before anything is written here. It returns the accounts (to undo with)
// and the new account's id; a taken name is ErrMediaNameTaken.
func (h AcceptInviteHandler) provisionMedia(ctx context.Context, provider, name, password string) (MediaAccounts, string, error) {
	var accounts MediaAccounts
	var ok bool
	if h.provisioners != nil {
		accounts, ok = h.provisioners.MediaAccounts(provider)
	}
	if !ok {
		return nil, "", fmt.Errorf("accept invite: %s is not enabled with an API key: %w", provider, ErrProvisionUnavailable)
	}
	// The invite holds no library list yet: the new account sees every
	// library, as a user made in the server's own dashboard does.
	id, err := accounts.CreateUser(ctx, name, password, mediabrowser.Policy{EnableAllFolders: true})
	switch {
	case errors.Is(err, mediabrowser.ErrNameTaken):
		return nil, "", fmt.Errorf("accept invite: %w", ErrMediaNameTaken)
	case err != nil:
		h.logger.ErrorContext(ctx, "invite: media account not created", "provider", provider, "err", err)
		return nil, "", fmt.Errorf("accept invite: %w: %w", ErrProvisionUnavailable, err)
	}
	return accounts, id, nil
}

// undoMedia deletes a media account made for an accept whose append
// failed, so that the name is free for the next try. An append whose
// outcome is unknown (the database went away mid-commit) may have landed
// and linked the account: it is deleted only once the log shows the user
// was not written. Otherwise, and when the delete fails, the log line
// names the account for an admin to look at.
func (h AcceptInviteHandler) undoMedia(ctx context.Context, accounts MediaAccounts, provider, id, userID string) {
	ctx = context.WithoutCancel(ctx)
	events, _, err := h.store.Load(ctx, domain.UserStream(userID))
	switch {
	case err != nil:
		h.logger.ErrorContext(ctx, "invite: media account kept: could not tell whether the accept was written; remove it by hand if no portal user links it",
			"provider", provider, "media_user_id", id, "user_id", userID, "err", err)
		return
	case len(events) > 0:
		return // written after all: the account is linked and stays
	}
	if err := accounts.DeleteUser(ctx, id); err != nil {
		h.logger.ErrorContext(ctx, "invite: media account made for a failed accept could not be removed; remove it by hand",
			"provider", provider, "media_user_id", id, "err", err)
	}
}

// linkProvisioned is the user's side of the new media account: linked, and
// media access granted (the server was just told to allow it).
func linkProvisioned(user domain.User, provider, subject, name string) ([]domain.Event, domain.IdentityClaimed, error) {
	events, err := user.LinkIdentity(domain.ExternalIdentity{Provider: provider, Subject: subject, Username: name,
		Access: true, Reason: provisionedReason}, "")
	if err != nil {
		return nil, domain.IdentityClaimed{}, err
	}
	return events, domain.IdentityClaimed{Provider: provider, Subject: subject, UserID: user.ID}, nil
}
