package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
	"github.com/danielgtaylor/huma/v2"
)

// The admin API of users as forward auth sees them: who they are, whether
// they may enter, their permission mode and host exceptions; setting the
// permissions, disabling; and asking why a user may or may not reach a
// host, answered by the same model and rule the verify endpoint uses.

type permissionsJSON struct {
	Mode  string   `json:"mode" enum:"allow_all,deny_all" doc:"allow_all: every protected host except the listed ones; deny_all: none but the listed ones"`
	Hosts []string `json:"hosts" doc:"Host ids: the exceptions to mode"`
}

type userJSON struct {
	ID              string          `json:"id"`
	Username        string          `json:"username"`
	Email           string          `json:"email"`
	Provider        string          `json:"provider" doc:"How the account was created: local, plex, jellyfin, ..."`
	LinkedProviders []string        `json:"linkedProviders" doc:"Outside accounts that sign in as this user"`
	Authorized      bool            `json:"authorized" doc:"May enter protected apps: not disabled, and an admin, invited, or with media access now"`
	Admin           bool            `json:"admin"`
	AccessGranted   bool            `json:"accessGranted" doc:"An admin created or invited the account"`
	MediaAccess     bool            `json:"mediaAccess" doc:"A media server says the user has access now"`
	Disabled        bool            `json:"disabled"`
	Permissions     permissionsJSON `json:"permissions"`
}

func userOut(u queries.UserSummary) userJSON {
	return userJSON{
		ID: u.ID, Username: u.Username, Email: u.Email, Provider: u.Provider, LinkedProviders: nonNilStrings(u.LinkedProviders),
		Authorized: u.Authorized(), Admin: u.Admin, AccessGranted: u.AccessGranted, MediaAccess: u.MediaAccess, Disabled: u.Disabled,
		Permissions: permissionsJSON{Mode: string(u.Mode), Hosts: nonNilStrings(u.Hosts)},
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type usersOutput struct {
	Body struct {
		Users []userJSON `json:"users"`
	}
}

type userOutput struct {
	Body userJSON
}

type userIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type userPermissionsInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Mode  string   `json:"mode" enum:"allow_all,deny_all"`
		Hosts []string `json:"hosts" maxItems:"1000" doc:"Host ids (from /api/admin/hosts)"`
	}
}

type userDisabledInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Disabled bool `json:"disabled" doc:"true ends the user's sessions and denies them everywhere"`
	}
}

type explainInput struct {
	User string `query:"user" required:"true" maxLength:"128" doc:"A user id or username"`
	Host string `query:"host" required:"true" maxLength:"300" doc:"A host as a proxy sends it (any case, maybe with a port)"`
}

type explainOutput struct {
	Body struct {
		Allowed     bool      `json:"allowed"`
		Reason      string    `json:"reason" doc:"The fact that decided: allow_all, allowed_host, denied_host, deny_all, not_authorized, disabled, unknown_host, default_allow, not_forward_auth, unknown_user"`
		User        string    `json:"user" doc:"The user's id"`
		Host        *hostJSON `json:"host" doc:"The protected host that matched (most specific wins); null when none did"`
		Explanation string    `json:"explanation"`
	}
}

func (s *Server) registerUsersAPI(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-list", Method: http.MethodGet, Path: "/api/admin/users", Tags: []string{adminTag},
		Summary: "List users with their access and permissions", Errors: []int{http.StatusUnauthorized, http.StatusForbidden},
	}, s.adminUsersList)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-get", Method: http.MethodGet, Path: "/api/admin/users/{id}", Tags: []string{adminTag},
		Summary: "One user with their access and permissions", Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound},
	}, s.adminUsersGet)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-permissions", Method: http.MethodPut, Path: "/api/admin/users/{id}/permissions", Tags: []string{adminTag},
		Summary: "Set a user's permission mode and host exceptions",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.adminUsersPermissions)
	huma.Register(api, huma.Operation{
		OperationID: "admin-users-disabled", Method: http.MethodPut, Path: "/api/admin/users/{id}/disabled", Tags: []string{adminTag},
		Summary: "Disable a user (ending their sessions) or enable them again",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.adminUsersDisabled)
	huma.Register(api, huma.Operation{
		OperationID: "admin-access-explain", Method: http.MethodGet, Path: "/api/admin/access/explain", Tags: []string{adminTag},
		Summary: "Whether a user may reach a host through forward auth, and which fact decided it",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.adminAccessExplain)
}

func (s *Server) adminUsersList(ctx context.Context, _ *struct{}) (*usersOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	users, err := s.deps.ForwardAdmin.Reader.Users(ctx)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	out := &usersOutput{}
	out.Body.Users = make([]userJSON, 0, len(users))
	for _, u := range users {
		out.Body.Users = append(out.Body.Users, userOut(u))
	}
	return out, nil
}

func (s *Server) adminUsersGet(ctx context.Context, in *userIDInput) (*userOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	return s.userNow(ctx, in.ID)
}

func (s *Server) adminUsersPermissions(ctx context.Context, in *userPermissionsInput) (*userOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ForwardAdmin.Permissions.Handle(ctx, commands.SetPermissions{
		UserID: in.ID, Mode: domain.PermissionMode(in.Body.Mode), HostIDs: in.Body.Hosts, Meta: adminMeta(ctx, p),
	})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	if err := s.awaitForwardChange(ctx, projections.ForwardAuthName, res.Position); err != nil {
		return nil, s.adminError(ctx, err)
	}
	return s.userNow(ctx, in.ID)
}

func (s *Server) adminUsersDisabled(ctx context.Context, in *userDisabledInput) (*userOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if in.ID == p.UserID && in.Body.Disabled {
		return nil, s.adminError(ctx, &domain.InvalidInputError{Field: "disabled", Reason: "you cannot disable your own account; ask another admin"})
	}
	res, err := s.deps.ForwardAdmin.Disabled.Handle(ctx, commands.SetDisabled{UserID: in.ID, Disabled: in.Body.Disabled, Reason: "console", Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	if err := s.awaitForwardChange(ctx, projections.UsersName, res.Position); err != nil {
		return nil, s.adminError(ctx, err)
	}
	return s.userNow(ctx, in.ID)
}

// userNow answers one user as the read model has them.
func (s *Server) userNow(ctx context.Context, id string) (*userOutput, error) {
	u, err := s.deps.ForwardAdmin.Reader.User(ctx, id)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	return &userOutput{Body: userOut(u)}, nil
}

func (s *Server) adminAccessExplain(ctx context.Context, in *explainInput) (*explainOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, in.User)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	v := s.deps.ForwardAdmin.Model.DecideForward(u.ID, in.Host)
	out := &explainOutput{}
	b := &out.Body
	b.Allowed, b.Reason, b.User = v.Allowed, string(v.Reason), u.ID
	if v.Host != nil {
		h := hostJSON{ID: v.Host.ID, Host: v.Host.Host, Name: v.Host.Name, ForwardAuth: v.Host.ForwardAuth}
		b.Host = &h
	}
	host := domain.RequestHost(in.Host)
	if host == "" {
		host = "that host"
	}
	b.Explanation = explain(v, u.Username, host)
	return out, nil
}

// findUser resolves an id, else a username: outside accounts keep the
// name their provider shows, so a name may be ambiguous.
func (s *Server) findUser(ctx context.Context, idOrName string) (queries.UserSummary, error) {
	u, err := s.deps.ForwardAdmin.Reader.User(ctx, idOrName)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, queries.ErrNotFound) {
		return queries.UserSummary{}, err
	}
	named, err := s.deps.ForwardAdmin.Reader.UsersNamed(ctx, idOrName)
	switch {
	case err != nil:
		return queries.UserSummary{}, err
	case len(named) == 0:
		return queries.UserSummary{}, queries.ErrNotFound
	case len(named) > 1:
		return queries.UserSummary{}, &domain.InvalidInputError{Field: "user", Reason: fmt.Sprintf("%d users have that name; give the user's id instead", len(named))}
	}
	return named[0], nil
}

// explain says a verdict in plain words.
func explain(v domain.ForwardVerdict, username, host string) string {
	entry := host
	if v.Host != nil && v.Host.Host != host {
		entry = host + " (matched by " + v.Host.Host + ")"
	}
	switch v.Reason {
	case domain.ReasonAllowAll:
		return username + " may use every protected host except the ones listed for them, and " + entry + " is not listed."
	case domain.ReasonAllowException:
		return username + " may use only the hosts listed for them, and " + entry + " is one of them."
	case domain.ReasonDenyException:
		return username + " may use every protected host except the ones listed for them, and " + entry + " is listed, so it is denied."
	case domain.ReasonDenyAll:
		return username + " may use only the hosts listed for them, and " + entry + " is not one of them."
	case domain.ReasonNotAuthorized:
		return username + " has no access yet: no media-server access, no admin grant and no invitation. Grant access first."
	case domain.ReasonDisabled:
		return username + "'s account is disabled, so they are denied everywhere."
	case domain.ReasonUnknownHost:
		return host + " is not a protected host, and hosts that are not registered are denied (FORWARD_AUTH_DEFAULT=deny). Add it under protected hosts."
	case domain.ReasonDefaultAllow:
		return host + " is not a protected host; FORWARD_AUTH_DEFAULT=authenticated lets every authorized user through, " + username + " included."
	case domain.ReasonNotForwardAuth:
		return entry + " is registered with forward auth off, so forward auth never lets anyone through. Turn forward auth on for it."
	case domain.ReasonUnknownUser:
		return "This server does not know " + username + " yet; try again in a moment."
	}
	return "Decided by " + string(v.Reason) + "."
}
