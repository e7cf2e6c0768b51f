package http

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// inviteProvisioning lists the media servers ("jellyfin", "emby") an invite
// may create the friend's account on now: enabled, with an API key.
type inviteProvisioning interface {
	Provisionable() []string
}

type inviteProvisioningOutput struct {
	Body struct {
		Servers []string `json:"servers" doc:"Values the provision field of an invite accepts now"`
	}
}

// registerInviteProvisioning registers the list the console's invite form
// offers its "also create their media account" choice from.
func (s *Server) registerInviteProvisioning(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "invite-provisioning", Method: http.MethodGet, Path: "/api/admin/invites/provisioning", Tags: []string{adminTag},
		Summary: "Media servers an invite can also create an account on",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden},
	}, func(ctx context.Context, _ *struct{}) (*inviteProvisioningOutput, error) {
		if _, err := requireAdmin(ctx); err != nil {
			return nil, err
		}
		out := &inviteProvisioningOutput{}
		out.Body.Servers = []string{}
		if s.deps.Invites.Provisioning != nil {
			out.Body.Servers = append(out.Body.Servers, s.deps.Invites.Provisioning.Provisionable()...)
		}
		return out, nil
	})
}
