package http

import (
	"errors"
	"net/http"

	"github.com/authportal/authportal/commands"
)

// mediaServerName is how pages name the media server an invite creates an
// account on; "" for none.
func mediaServerName(provider string) string {
	switch provider {
	case "jellyfin":
		return "Jellyfin"
	case "emby":
		return "Emby"
	}
	return ""
}

// provisionFailed shows, on the form, why the media account could not be
// made. Nothing was written on either side, so the person can try again.
func (s *Server) provisionFailed(w http.ResponseWriter, r *http.Request, d invitePageData, err error) {
	d.Media = "the media server"
	if inv, cerr := s.deps.Invites.Accept.CheckInvite(r.Context(), r.PathValue("token")); cerr == nil && inv.Created.Provision != "" {
		d.Media = mediaServerName(inv.Created.Provision)
	}
	if errors.Is(err, commands.ErrMediaNameTaken) {
		d.Error = "That username is already taken on " + d.Media + ". Choose another; nothing was created."
		s.renderStatus(w, r, http.StatusConflict, "invite.html", d)
		return
	}
	d.Error = "Your " + d.Media + " account could not be created just now, so nothing was created. Try again in a few minutes, or tell whoever invited you."
	s.renderStatus(w, r, http.StatusServiceUnavailable, "invite.html", d)
}
