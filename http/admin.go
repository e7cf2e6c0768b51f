package http

import (
	"context"
	"net/http"

	"github.com/authportal/authportal/domain"
	"github.com/danielgtaylor/huma/v2"
)

// The admin API (/api/admin/...) is made of huma operations like any other:
// same-origin is enforced for every state-changing request by the
// middleware in server.go, and each operation starts with requireAdmin. Each
// capability (hosts and users, OAuth clients, configuration) registers its
// operations from a file of its own, listed in registerAdminAPI.

var (
	problemNotAdmin = problemKind{http.StatusForbidden, "not-admin", "Admins only"}
	problemConflict = problemKind{http.StatusConflict, "conflict", "Changed meanwhile"}
)

// adminTag groups the admin operations in /docs.
const adminTag = "admin"

// requireAdmin returns the request's session when it belongs to an admin
// whose standing is current (read from the access model, never the cookie),
// else the problem to answer: 401 without a session, 403 for anyone else.
func requireAdmin(ctx context.Context) (*Principal, error) {
	p := principal(ctx)
	if p == nil {
		return nil, problemUnauthenticated.err("Sign in first.")
	}
	if !p.User.Admin || p.User.Disabled {
		return nil, problemNotAdmin.err("Only an administrator can do this.")
	}
	return p, nil
}

// adminMeta is the event metadata for what an admin does through this request.
func adminMeta(ctx context.Context, p *Principal) domain.Metadata {
	md := eventMeta(ctx)
	md.Actor, md.ActorKind = p.UserID, domain.ActorAdmin
	return md
}

// registerAdminAPI registers every admin operation. Each capability's
// operations live in a file of their own (admin_*.go).
func (s *Server) registerAdminAPI(api huma.API) {
	for _, register := range s.adminAPIs() {
		register(api)
	}
}

// adminAPIs lists the capabilities' registration functions; a capability
// whose dependencies are not configured registers nothing.
func (s *Server) adminAPIs() []func(huma.API) {
	var apis []func(huma.API)
	if s.deps.ForwardAdmin.Hosts != nil {
		apis = append(apis, s.registerHostsAPI, s.registerUsersAPI)
	}
	if s.deps.UserActions.SetAdmin != nil && s.deps.Sessions != nil && s.deps.ForwardAdmin.Reader != nil {
		apis = append(apis, s.registerUserActionsAPI)
	}
	if s.deps.Audit != nil {
		apis = append(apis, s.registerAuditAPI)
	}
	if c := s.deps.Config; c.Save != nil && c.Restore != nil && c.History != nil {
		apis = append(apis, s.configAPI)
		if b := s.deps.Backups; b.Files != nil && b.Create != nil && b.Delete != nil && b.Restore != nil {
			apis = append(apis, s.backupsAPI)
		}
	}
	if s.deps.Invites.Create != nil {
		apis = append(apis, s.registerInviteAPI)
	}
	if s.deps.SMTPTest != nil {
		apis = append(apis, s.registerSMTPTestMailAPI)
	}
	if s.deps.OIDC != nil {
		apis = append(apis, s.registerClientAdmin) // admin_clients.go
	}
	return apis
}
