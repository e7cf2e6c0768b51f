package plextest

import "net/http"

// user serves GET /api/v2/user: the token's UserPlexAccount (integer id),
// or 401 with code 1001.
func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	a, ok := s.accountFor(r)
	if !ok {
		unauthenticated(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                a.ID,
		"uuid":              a.UUID,
		"username":          a.Username,
		"title":             a.Title,
		"friendlyName":      a.Title,
		"email":             a.Email,
		"thumb":             "https://plex.tv/users/" + a.UUID + "/avatar?c=1",
		"authToken":         a.Token,
		"hasPassword":       true,
		"home":              false,
		"homeAdmin":         false,
		"guest":             false,
		"restricted":        false,
		"protected":         false,
		"twoFactorEnabled":  false,
		"confirmed":         true,
		"joinedAt":          1500000000,
		"locale":            nil,
		"country":           "US",
		"subscription":      map[string]any{"active": false, "status": "Inactive", "plan": nil},
		"roles":             []string{},
		"entitlements":      []string{},
		"profile":           map[string]any{"autoSelectAudio": true},
		"mailingListActive": false,
	})
}
