package mbtest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The admin API a provisioning client uses (notes/providers.md §2.5, §3):
// POST /Users/New, POST /Users/{id}/Password, POST /Users/{id}/Policy and
// DELETE /Users/{id}, each with the API key or an administrator's token.

// admin says whether the request carries the API key or an enabled
// administrator's token; when not, it has answered (401 without a known
// token, 403 for anyone else). Call with s.mu held.
func (s *Server) admin(a *answer, r *http.Request, auth map[string]string) bool {
	tok := s.requestToken(r, auth)
	if tok == APIKey {
		return true
	}
	session, ok := s.tokens[tok]
	if !ok {
		a.text(http.StatusUnauthorized, "")
		return false
	}
	if u := s.users[session.userID]; u == nil || !u.IsAdministrator || u.IsDisabled {
		a.text(http.StatusForbidden, genericError)
		return false
	}
	return true
}

// adminTarget is the user an administrator's request names: when the
// caller is no administrator or no user has that id, it has answered (401,
// 403, 404) and reports false. Call with s.mu held.
func (s *Server) adminTarget(a *answer, r *http.Request, auth map[string]string, id string) (*User, bool) {
	if !s.admin(a, r, auth) {
		return nil, false
	}
	u, ok := s.users[id]
	if !ok {
		a.text(http.StatusNotFound, "User not found")
	}
	return u, ok
}

// newUser serves POST /Users/New. Jellyfin sets Password when given; Emby
// reads only Name (its clients set the password in a second call). A name
// already taken (case-insensitively) is the servers' ArgumentException: 400.
func (s *Server) newUser(a *answer, r *http.Request, auth map[string]string, body []byte) {
	var req struct {
		Name     string
		Password string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		a.text(http.StatusBadRequest, genericError)
		return
	}
	s.mu.Lock()
	if !s.admin(a, r, auth) {
		s.mu.Unlock()
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		s.mu.Unlock()
		a.text(http.StatusBadRequest, genericError)
		return
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Name, name) {
			s.mu.Unlock()
			a.text(http.StatusBadRequest, "A user with the name '"+name+"' already exists.")
			return
		}
	}
	u := &User{ID: randomHex(16), Name: name}
	if s.Flavor == "jellyfin" {
		u.Password = req.Password
	}
	s.users[u.ID] = u
	dto := s.dto(u)
	s.mu.Unlock()
	a.json(dto)
}

// setPassword serves POST /Users/{id}/Password for an administrator, who
// needs no CurrentPw. ResetPassword clears the password. Every token of the
// user is revoked, as the servers do. Jellyfin answers 204, Emby 200 with
// an empty body.
func (s *Server) setPassword(a *answer, r *http.Request, auth map[string]string, id string, body []byte) {
	var req struct {
		NewPw         string
		ResetPassword bool
	}
	if err := json.Unmarshal(body, &req); err != nil {
		a.text(http.StatusBadRequest, genericError)
		return
	}
	s.mu.Lock()
	u, ok := s.adminTarget(a, r, auth, id)
	if !ok {
		s.mu.Unlock()
		return
	}
	u.Password = req.NewPw
	if req.ResetPassword {
		u.Password = ""
	}
	s.revokeLocked(id)
	s.mu.Unlock()
	s.noContent(a)
}

// setPolicy serves POST /Users/{id}/Policy: a full UserPolicy (the
// callers round-trip what GET returned). The fake keeps what it models
// (administrator, disabled, folders).
func (s *Server) setPolicy(a *answer, r *http.Request, auth map[string]string, id string, body []byte) {
	var req struct {
		IsAdministrator          bool
		IsDisabled               bool
		EnableAllFolders         bool
		EnabledFolders           []string
		AuthenticationProviderId string
		PasswordResetProviderId  string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		a.text(http.StatusBadRequest, genericError)
		return
	}
	s.mu.Lock()
	u, ok := s.adminTarget(a, r, auth, id)
	if !ok {
		s.mu.Unlock()
		return
	}
	if s.Flavor == "jellyfin" && (req.AuthenticationProviderId == "" || req.PasswordResetProviderId == "") {
		// Jellyfin's UserPolicy marks both provider ids required: a policy
		// built from scratch instead of round-tripped from GET fails.
		s.mu.Unlock()
		a.text(http.StatusBadRequest, genericError)
		return
	}
	u.IsAdministrator, u.IsDisabled = req.IsAdministrator, req.IsDisabled
	u.PolicySet, u.EnableAllFolders, u.EnabledFolders = true, req.EnableAllFolders, append([]string(nil), req.EnabledFolders...)
	s.mu.Unlock()
	s.noContent(a)
}

// removeUser serves DELETE /Users/{id}: 204, tokens revoked.
func (s *Server) removeUser(a *answer, r *http.Request, auth map[string]string, id string) {
	s.mu.Lock()
	if _, ok := s.adminTarget(a, r, auth, id); !ok {
		s.mu.Unlock()
		return
	}
	delete(s.users, id)
	s.revokeLocked(id)
	s.mu.Unlock()
	a.w.WriteHeader(http.StatusNoContent)
}

// noContent is the servers' answer to a password change: Jellyfin 204,
// Emby 200 with an empty body (EMBY-DOC postUsersByIdPassword).
func (s *Server) noContent(a *answer) {
	if s.Flavor == "emby" {
		a.write(http.StatusOK, "application/json; charset=utf-8", nil)
		return
	}
	a.w.WriteHeader(http.StatusNoContent)
}

// revokeLocked drops every token of the user. Call with s.mu held.
func (s *Server) revokeLocked(userID string) {
	for k, tok := range s.tokens {
		if tok.userID == userID {
			delete(s.tokens, k)
		}
	}
}

// UserByName returns the user named name (case-insensitively).
func (s *Server) UserByName(name string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if strings.EqualFold(u.Name, name) {
			return *u, true
		}
	}
	return User{}, false
}

// Users returns how many users the server has.
func (s *Server) Users() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

// listUsers serves GET /Users: every user, for the API key or an
// administrator.
func (s *Server) listUsers(a *answer, r *http.Request, auth map[string]string) {
	s.mu.Lock()
	if !s.admin(a, r, auth) {
		s.mu.Unlock()
		return
	}
	out := make([]userDto, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, s.dto(u))
	}
	s.mu.Unlock()
	a.json(out)
}
