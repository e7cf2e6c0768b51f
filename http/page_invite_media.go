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

// inviteMedia names the media server the token's invite creates an account
// on, "" for none or for a token that names no usable invite.
func (s *Server) inviteMedia(r *http.Request, token string) string {
	if len(token) > maxInviteToken {
		return ""
	}
	inv, err := s.deps.Invites.Accept.CheckInvite(r.Context(), token)
	if err != nil {
		return ""
	}
	return mediaServerName(inv.Created.Provision)
}

// provisionFailed shows, on the form, why the media account could not be
// made. Nothing was written on either side, so the person can try again.
func (s *Server) provisionFailed(w http.ResponseWriter, r *http.Request, d invitePageData, err error) {
	if d.Media == "" {
		d.Media = "the media server"
	}
	if errors.Is(err, commands.ErrMediaNameTaken) {
		d.Error = "That username is already taken on " + d.Media + ". Choose another; nothing was created."
		s.renderStatus(w, r, http.StatusConflict, "invite.html", d)
		return
	}
	d.Error = "Your " + d.Media + " account could not be created just now, so nothing was created. Try again in a few minutes, or tell whoever invited you."
	s.renderStatus(w, r, http.StatusServiceUnavailable, "invite.html", d)
}
