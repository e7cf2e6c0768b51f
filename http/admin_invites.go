package http

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
	"github.com/danielgtaylor/huma/v2"
)

// Invites are what the invite capability needs (commands and queries
// behind small interfaces). The zero value turns invites off.
type Invites struct {
	Create  inviteCreator
	Revoke  inviteRevoker
	Resend  inviteResender
	List    inviteLister
	Accept  inviteAcceptor
	Preview invitePreviewer // nil: no preview
	// Provisioning lists the media servers an invite may create an
	// account on now (nil: none).
	Provisioning inviteProvisioning
}

// invitePreviewer renders the invite mail for an example invite
// (workers.InviteMailer, adapted in main).
type invitePreviewer interface {
	PreviewInvite() (subject, text, html string, err error)
}

// inviteCreator creates an invite (commands.CreateInviteHandler).
type inviteCreator interface {
	Handle(ctx context.Context, cmd commands.CreateInvite) (commands.CreateInviteResult, error)
}

// inviteRevoker revokes one (commands.RevokeInviteHandler).
type inviteRevoker interface {
	Handle(ctx context.Context, cmd commands.RevokeInvite) (commands.Result, error)
}

// inviteResender asks the mailer for a fresh round (commands.ResendInviteHandler).
type inviteResender interface {
	Handle(ctx context.Context, cmd commands.ResendInvite) (commands.Result, error)
}

// inviteLister lists invites (queries.Reader).
type inviteLister interface {
	Invites(ctx context.Context, now time.Time, limit int) ([]queries.InviteSummary, error)
}

// inviteAcceptor checks and accepts an invite's token (commands.AcceptInviteHandler).
type inviteAcceptor interface {
	CheckInvite(ctx context.Context, token string) (domain.Invite, error)
	Handle(ctx context.Context, cmd commands.AcceptInvite) (commands.AcceptInviteResult, error)
}

var (
	problemInviteGone   = problemKind{http.StatusGone, "invite-gone", "Invite can no longer be used"}
	problemInviteNoMail = problemKind{http.StatusConflict, "invite-no-mail", "No mail to resend"}
)

// maxListedInvites bounds the console's list.
const maxListedInvites = 500

// inviteProblem maps the invite rules' failures, then anything else as usual.
func (s *Server) inviteProblem(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, domain.ErrInviteNotFound):
		return problemNotFound.err("There is no such invite.")
	case errors.Is(err, domain.ErrInviteExpired):
		return problemInviteGone.err("This invite has expired.")
	case errors.Is(err, domain.ErrInviteRevoked):
		return problemInviteGone.err("This invite was revoked.")
	case errors.Is(err, domain.ErrInviteUsed):
		return problemInviteGone.err("This invite was already used.")
	case errors.Is(err, domain.ErrInviteNoMail):
		return problemInviteNoMail.err("This invite has no mail to resend: it is a link, or its mail is still being sent.")
	}
	return s.apiError(ctx, err)
}

type InviteRequest struct {
	Email          string   `json:"email,omitempty" maxLength:"254" doc:"Address to send the invite to (required unless link)"`
	Role           string   `json:"role,omitempty" enum:"user,admin" doc:"Role of the new account (default user)"`
	PermissionMode string   `json:"permission_mode,omitempty" enum:"allow_all,deny_all" doc:"How permitted_hosts are read (default allow_all)"`
	PermittedHosts []string `json:"permitted_hosts,omitempty" maxItems:"200" doc:"Host ids: the exceptions to permission_mode"`
	Provision      string   `json:"provision,omitempty" enum:"jellyfin,emby" doc:"Also create the friend's account on this media server when they accept (it must be enabled with its API key)"`
}

type createUserInput struct {
	Body InviteRequest
}

type createInviteInput struct {
	Body struct {
		InviteRequest
		Link    bool `json:"link,omitempty" doc:"Make a shareable link, shown once in this answer, instead of sending a mail"`
		MaxUses int  `json:"max_uses,omitempty" minimum:"0" maximum:"1000" doc:"How many accounts a link may create (default 1)"`
	}
}

type inviteBody struct {
	ID             string    `json:"id"`
	Email          string    `json:"email,omitempty"`
	Role           string    `json:"role"`
	Link           bool      `json:"link"`
	State          string    `json:"state" enum:"pending,sent,failed,accepted,expired,revoked"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	ExpiresAt      time.Time `json:"expires_at"`
	MaxUses        int       `json:"max_uses"`
	Uses           int       `json:"uses"`
	MailAttempts   int       `json:"mail_attempts"`
	MailError      string    `json:"mail_error,omitempty" doc:"The SMTP server's last answer, when sending failed"`
	InviteURL      string    `json:"invite_url,omitempty" doc:"A link invite's URL: shown once, never again"`
	PermissionMode string    `json:"permission_mode,omitempty"`
	Provision      string    `json:"provision,omitempty" doc:"The media server accepting also creates an account on"`
}

type inviteOutput struct {
	Body inviteBody
}

type listInvitesOutput struct {
	Body struct {
		Invites []inviteBody `json:"invites"`
	}
}

type inviteIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type invitePreviewOutput struct {
	Body struct {
		Subject string `json:"subject"`
		Text    string `json:"text" doc:"The plain-text part"`
		HTML    string `json:"html" doc:"The HTML part"`
	}
}

type inviteActionOutput struct {
	Body struct {
		OK bool `json:"ok"`
	}
}

// registerInviteAPI registers the invite operations (adminAPIs).
func (s *Server) registerInviteAPI(api huma.API) {
	if s.deps.Invites.Create == nil {
		return
	}
	huma.Register(api, huma.Operation{
		OperationID: "create-user", Method: http.MethodPost, Path: "/api/users", Tags: []string{adminTag},
		Summary:       "Invite a user by email (Charon's contract)",
		Description:   "Appends an invite; the mailer sends it. The answer never contains the invite's secret.",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *createUserInput) (*inviteOutput, error) {
		return s.createInvite(ctx, commands.CreateInvite{Email: in.Body.Email, Role: in.Body.Role,
			PermissionMode: in.Body.PermissionMode, PermittedHosts: in.Body.PermittedHosts, Provision: in.Body.Provision})
	})
	huma.Register(api, huma.Operation{
		OperationID: "create-invite", Method: http.MethodPost, Path: "/api/admin/invites", Tags: []string{adminTag},
		Summary:       "Invite by email, or make a shareable link",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *createInviteInput) (*inviteOutput, error) {
		return s.createInvite(ctx, commands.CreateInvite{Email: in.Body.Email, Role: in.Body.Role,
			PermissionMode: in.Body.PermissionMode, PermittedHosts: in.Body.PermittedHosts, Link: in.Body.Link, MaxUses: in.Body.MaxUses,
			Provision: in.Body.Provision})
	})
	s.registerInviteProvisioning(api)
	huma.Register(api, huma.Operation{
		OperationID: "list-invites", Method: http.MethodGet, Path: "/api/admin/invites", Tags: []string{adminTag},
		Summary: "Invites, newest first, with their state", Errors: []int{http.StatusUnauthorized, http.StatusForbidden},
	}, s.listInvites)
	if s.deps.Invites.Preview != nil {
		huma.Register(api, huma.Operation{
			OperationID: "preview-invite-mail", Method: http.MethodGet, Path: "/api/admin/invites/preview", Tags: []string{adminTag},
			Summary: "The invite mail as it goes out, for an example invite", Errors: []int{http.StatusUnauthorized, http.StatusForbidden},
		}, s.previewInvite)
	}
	huma.Register(api, huma.Operation{
		OperationID: "revoke-invite", Method: http.MethodPost, Path: "/api/admin/invites/{id}/revoke", Tags: []string{adminTag},
		Summary: "Revoke an invite", Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound},
	}, func(ctx context.Context, in *inviteIDInput) (*inviteActionOutput, error) {
		p, err := requireAdmin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := s.deps.Invites.Revoke.Handle(ctx, commands.RevokeInvite{InviteID: in.ID, Meta: adminMeta(ctx, p)}); err != nil {
			return nil, s.inviteProblem(ctx, err)
		}
		out := &inviteActionOutput{}
		out.Body.OK = true
		return out, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "resend-invite", Method: http.MethodPost, Path: "/api/admin/invites/{id}/resend", Tags: []string{adminTag},
		Summary: "Send an invite's mail again", DefaultStatus: http.StatusAccepted,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusGone},
	}, func(ctx context.Context, in *inviteIDInput) (*inviteActionOutput, error) {
		p, err := requireAdmin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := s.deps.Invites.Resend.Handle(ctx, commands.ResendInvite{InviteID: in.ID, Meta: adminMeta(ctx, p)}); err != nil {
			return nil, s.inviteProblem(ctx, err)
		}
		out := &inviteActionOutput{}
		out.Body.OK = true
		return out, nil
	})
}

func (s *Server) createInvite(ctx context.Context, cmd commands.CreateInvite) (*inviteOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	cmd.Meta = adminMeta(ctx, p)
	res, err := s.deps.Invites.Create.Handle(ctx, cmd)
	if err != nil {
		return nil, s.inviteProblem(ctx, err)
	}
	out := &inviteOutput{Body: inviteBody{ID: res.InviteID, Email: cmd.Email, Role: cmd.Role, Link: cmd.Link,
		State: domain.InviteStatePending, ExpiresAt: res.ExpiresAt, MaxUses: max(1, cmd.MaxUses), PermissionMode: cmd.PermissionMode,
		Provision: cmd.Provision}}
	if out.Body.Role == "" {
		out.Body.Role = domain.RoleUser
	}
	if out.Body.PermissionMode == "" {
		out.Body.PermissionMode = string(domain.AllowAll)
	}
	if cmd.Link {
		out.Body.State, out.Body.InviteURL = domain.InviteStateSent, s.inviteURL(res.Token)
	}
	return out, nil
}

func (s *Server) previewInvite(ctx context.Context, _ *struct{}) (*invitePreviewOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	subject, text, html, err := s.deps.Invites.Preview.PreviewInvite()
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &invitePreviewOutput{}
	out.Body.Subject, out.Body.Text, out.Body.HTML = subject, text, html
	return out, nil
}

func (s *Server) listInvites(ctx context.Context, _ *struct{}) (*listInvitesOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	list, err := s.deps.Invites.List.Invites(ctx, s.deps.Now(), maxListedInvites)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &listInvitesOutput{}
	out.Body.Invites = make([]inviteBody, 0, len(list))
	for _, i := range list {
		out.Body.Invites = append(out.Body.Invites, inviteBody{ID: i.ID, Email: i.Email, Role: i.Role, Link: i.Link, State: i.State,
			CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt, MaxUses: i.MaxUses, Uses: i.Uses, MailAttempts: i.MailAttempts, MailError: i.MailError})
	}
	return out, nil
}

// inviteURL is the accept page of a token, on APP_BASE_URL (never on the
// request's Host header, which the client writes).
func (s *Server) inviteURL(token string) string {
	return s.config.BaseURL.JoinPath("invite", token).String()
}
