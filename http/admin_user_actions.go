package http

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/danielgtaylor/huma/v2"
)

// The console's actions on one user that the CLI already had as commands:
// their devices (listed, one signed out, or all), the admin flag, and
// taking away a lost authenticator. Each is an event on the user's (or the
// session's) stream with the admin as actor.

var problemSessionNotFound = problemKind{http.StatusNotFound, "session-not-found", "No such session"}

// UserActions is what those operations call; a nil SetAdmin registers none
// of them.
type UserActions struct {
	SetAdmin       adminSetter
	ResetMFA       mfaResetter
	RevokeSessions sessionsRevoker
}

// adminSetter grants or revokes admin (commands.SetAdminHandler).
type adminSetter interface {
	Handle(ctx context.Context, cmd commands.SetAdmin) (commands.Result, error)
}

// mfaResetter takes away a user's authenticator (commands.ResetMFAHandler).
type mfaResetter interface {
	Handle(ctx context.Context, cmd commands.ResetMFA) (commands.Result, error)
}

type adminSessionJSON struct {
	ID        string    `json:"id"`
	Provider  string    `json:"provider" doc:"How this session signed in"`
	Device    string    `json:"device" doc:"The browser and system, from its user agent"`
	Address   string    `json:"address"`
	StartedAt time.Time `json:"startedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type adminIdentityJSON struct {
	Provider string `json:"provider"`
	Username string `json:"username" doc:"As the provider shows it"`
}

type userDevicesOutput struct {
	Body struct {
		Identities []adminIdentityJSON `json:"identities" doc:"Outside accounts linked to the user"`
		Sessions   []adminSessionJSON  `json:"sessions" doc:"Signed-in devices, newest first (at most 100)"`
	}
}

type userSessionInput struct {
	ID      string `path:"id" maxLength:"64"`
	Session string `path:"session" maxLength:"64"`
}

type userAdminInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Admin bool `json:"admin" doc:"true grants admin, false takes it away; either ends the user's sessions"`
	}
}

type mfaResetOutput struct {
	Body struct {
		Reset bool `json:"reset" doc:"false: the user had no authenticator, so nothing changed"`
	}
}

func (s *Server) registerUserActionsAPI(api huma.API) {
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-sessions", Method: http.MethodGet, Path: "/api/admin/users/{id}/sessions", Tags: []string{adminTag},
		Summary: "A user's linked accounts and signed-in devices", Errors: errs,
	}, s.adminUserSessions)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-sessions-revoke", Method: http.MethodPost, Path: "/api/admin/users/{id}/sessions/revoke", Tags: []string{adminTag},
		Summary: "Sign a user out everywhere", DefaultStatus: http.StatusNoContent, Errors: errs,
	}, s.adminUserRevokeAll)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-session-revoke", Method: http.MethodDelete, Path: "/api/admin/users/{id}/sessions/{session}", Tags: []string{adminTag},
		Summary: "Sign one of a user's devices out", DefaultStatus: http.StatusNoContent, Errors: errs,
	}, s.adminUserRevokeOne)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-admin", Method: http.MethodPut, Path: "/api/admin/users/{id}/admin", Tags: []string{adminTag},
		Summary: "Grant or take away admin (ends the user's sessions)", Errors: append(errs, http.StatusUnprocessableEntity),
	}, s.adminUserSetAdmin)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-mfa-reset", Method: http.MethodPost, Path: "/api/admin/users/{id}/mfa/reset", Tags: []string{adminTag},
		Summary: "Take away a user's lost authenticator (ends their sessions)", Errors: errs,
	}, s.adminUserResetMFA)
}

func (s *Server) adminUserSessions(ctx context.Context, in *userIDInput) (*userDevicesOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if _, err := s.deps.ForwardAdmin.Reader.User(ctx, in.ID); err != nil {
		return nil, s.adminError(ctx, err)
	}
	list, err := s.deps.Sessions.UserSessions(ctx, in.ID, s.deps.Now())
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	ids, err := s.deps.Sessions.UserIdentities(ctx, in.ID)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	out := &userDevicesOutput{}
	out.Body.Identities = make([]adminIdentityJSON, 0, len(ids))
	for _, li := range ids {
		out.Body.Identities = append(out.Body.Identities, adminIdentityJSON{Provider: li.Provider, Username: li.Username})
	}
	out.Body.Sessions = make([]adminSessionJSON, 0, len(list))
	for _, us := range list {
		out.Body.Sessions = append(out.Body.Sessions, adminSessionJSON{ID: us.ID, Provider: us.Provider, Device: deviceLabel(us.UserAgent),
			Address: us.ClientIP, StartedAt: us.StartedAt, ExpiresAt: us.ExpiresAt})
	}
	return out, nil
}

func (s *Server) adminUserRevokeAll(ctx context.Context, in *userIDInput) (*struct{}, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.UserActions.RevokeSessions.Handle(ctx, commands.RevokeSessions{UserID: in.ID, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	return nil, s.awaitSessionsChange(ctx, res.Position)
}

func (s *Server) adminUserRevokeOne(ctx context.Context, in *userSessionInput) (*struct{}, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	// OwnerID: the session must be that user's, so a mistyped pair never
	// ends someone else's session.
	res, err := s.deps.Logout.Handle(ctx, commands.Logout{SessionID: in.Session, OwnerID: in.ID, Meta: adminMeta(ctx, p)})
	if errors.Is(err, domain.ErrSessionNotFound) {
		return nil, problemSessionNotFound.err("That user has no session with that id.")
	}
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	return nil, s.awaitSessionsChange(ctx, res.Position)
}

func (s *Server) adminUserSetAdmin(ctx context.Context, in *userAdminInput) (*userOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if in.ID == p.UserID && !in.Body.Admin {
		return nil, s.adminError(ctx, &domain.InvalidInputError{Field: "admin", Reason: "you cannot take away your own admin; ask another admin"})
	}
	res, err := s.deps.UserActions.SetAdmin.Handle(ctx, commands.SetAdmin{UserID: in.ID, Admin: in.Body.Admin, Reason: "console", Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	if err := s.awaitForwardChange(ctx, projections.UsersName, res.Position); err != nil {
		return nil, s.adminError(ctx, err)
	}
	return s.userNow(ctx, in.ID)
}

func (s *Server) adminUserResetMFA(ctx context.Context, in *userIDInput) (*mfaResetOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.UserActions.ResetMFA.Handle(ctx, commands.ResetMFA{UserID: in.ID, Reason: "console", Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	if err := s.awaitSessionsChange(ctx, res.Position); err != nil {
		return nil, err
	}
	out := &mfaResetOutput{}
	out.Body.Reset = res.Position != 0
	return out, nil
}

// awaitSessionsChange waits until the sessions read model and this node's
// access model show a change at position, so the console's next list no
// longer shows the devices it signed out.
func (s *Server) awaitSessionsChange(ctx context.Context, position int64) error {
	if err := s.awaitForwardChange(ctx, projections.SessionsName, position); err != nil {
		return s.adminError(ctx, err)
	}
	return nil
}
