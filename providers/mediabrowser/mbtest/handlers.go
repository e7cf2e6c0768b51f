package mbtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// The servers' ExceptionMiddleware answers with this text/plain body outside
// development mode.
const genericError = "Error processing request."

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := apiPath(s.Flavor, r.URL.Path)
	lower := strings.ToLower(path)
	a := &answer{w: w, r: r, flavor: s.Flavor,
		gz: s.Flavor == "emby" && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")}

	s.mu.Lock()
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Gzipped: a.gz}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	}
	if lower == "/users/authenticatebyname" {
		var b struct{ Username string }
		json.Unmarshal(body, &b)
		rec.Username = b.Username
	}
	authValue, legacyUsed := s.authorizationHeader(r)
	rec.Auth, _ = parseAuthorization(authValue)
	s.requests = append(s.requests, rec)
	status, slow, before, ctype, fixed := s.status, s.slow, s.before, s.ctype, s.body
	s.mu.Unlock()
	if before != nil {
		before(rec)
	}

	if slow {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
		return
	}
	if status != 0 && ctype != "" {
		a.write(status, ctype, fixed)
		return
	}
	if status != 0 {
		a.text(status, genericError)
		return
	}
	if legacyUsed {
		// Jellyfin with EnableLegacyAuthorization off.
		a.text(http.StatusBadRequest, "Legacy authorization is disabled.")
		return
	}

	switch {
	case lower == "/users/authenticatebyname" && r.Method == http.MethodPost:
		s.authenticateByName(a, rec.Auth, body)
	case lower == "/users/me" && r.Method == http.MethodGet && s.Flavor == "jellyfin":
		s.getUser(a, r, rec.Auth, "")
	case strings.HasPrefix(lower, "/users/") && strings.Count(lower, "/") == 2 && r.Method == http.MethodGet:
		s.getUser(a, r, rec.Auth, path[len("/users/"):])
	case lower == "/users" && r.Method == http.MethodGet:
		s.listUsers(a, r, rec.Auth)
	case lower == "/users/new" && r.Method == http.MethodPost:
		s.newUser(a, r, rec.Auth, body)
	case strings.HasPrefix(lower, "/users/") && strings.HasSuffix(lower, "/password") && strings.Count(lower, "/") == 3 && r.Method == http.MethodPost:
		s.setPassword(a, r, rec.Auth, path[len("/users/"):len(path)-len("/password")], body)
	case strings.HasPrefix(lower, "/users/") && strings.HasSuffix(lower, "/policy") && strings.Count(lower, "/") == 3 && r.Method == http.MethodPost:
		s.setPolicy(a, r, rec.Auth, path[len("/users/"):len(path)-len("/policy")], body)
	case strings.HasPrefix(lower, "/users/") && strings.Count(lower, "/") == 2 && r.Method == http.MethodDelete:
		s.removeUser(a, r, rec.Auth, path[len("/users/"):])
	case lower == "/system/info/public" && r.Method == http.MethodGet:
		a.json(map[string]any{"ServerName": "mbtest", "Version": version(s.Flavor), "ProductName": productName(s.Flavor),
			"Id": "mbtestserver", "StartupWizardCompleted": true})
	case lower == "/sessions/logout" && r.Method == http.MethodPost:
		s.mu.Lock()
		tok := s.requestToken(r, rec.Auth)
		_, ok := s.tokens[tok]
		delete(s.tokens, tok)
		s.mu.Unlock()
		if !ok {
			a.text(http.StatusUnauthorized, "")
			return
		}
		a.w.WriteHeader(http.StatusNoContent)
	default:
		a.text(http.StatusNotFound, "")
	}
}

func version(flavor string) string {
	if flavor == "emby" {
		return "4.8.10.0"
	}
	return "10.10.7"
}

func productName(flavor string) string {
	if flavor == "emby" {
		return "Emby Server"
	}
	return "Jellyfin Server"
}

// authorizationHeader returns the header value the server reads, and
// whether the request used a legacy form a legacy-off Jellyfin refuses.
// Call with s.mu held.
func (s *Server) authorizationHeader(r *http.Request) (string, bool) {
	legacyUsed := r.Header.Get("X-Emby-Authorization") != "" || r.Header.Get("X-Emby-Token") != "" ||
		r.URL.Query().Has("api_key")
	if s.Flavor == "jellyfin" && !s.legacy && legacyUsed {
		return r.Header.Get("Authorization"), true
	}
	// Both servers read X-Emby-Authorization first.
	if v := r.Header.Get("X-Emby-Authorization"); v != "" {
		return v, false
	}
	return r.Header.Get("Authorization"), false
}

// requestToken finds the token as the servers do: Token in the
// authorization header, then X-Emby-Token, X-MediaBrowser-Token, ?ApiKey,
// ?api_key. Call with s.mu held.
func (s *Server) requestToken(r *http.Request, auth map[string]string) string {
	if t := pair(auth, "Token"); t != "" {
		return t
	}
	for _, h := range []string{"X-Emby-Token", "X-MediaBrowser-Token"} {
		if t := r.Header.Get(h); t != "" {
			return t
		}
	}
	q := r.URL.Query()
	if t := q.Get("ApiKey"); t != "" {
		return t
	}
	return q.Get("api_key")
}

type policyDto struct {
	IsAdministrator            bool
	IsDisabled                 bool
	IsHidden                   bool
	EnableRemoteAccess         bool
	EnableAllFolders           bool
	EnabledFolders             []string
	InvalidLoginAttemptCount   int
	LoginAttemptsBeforeLockout int
	MaxActiveSessions          int
	AuthenticationProviderId   string
	PasswordResetProviderId    string
}

type userDto struct {
	Name                      string
	ServerId                  string
	Id                        string
	HasPassword               bool
	HasConfiguredPassword     bool
	HasConfiguredEasyPassword bool
	EnableAutoLogin           bool
	Policy                    policyDto
}

func (s *Server) dto(u *User) userDto {
	lockout := u.LoginAttemptsBeforeLockout
	if lockout == 0 {
		lockout = -1 // Jellyfin's "use the default"
	}
	return userDto{
		Name: u.Name, ServerId: "mbtestserver", Id: u.ID,
		HasPassword: u.Password != "", HasConfiguredPassword: u.Password != "",
		Policy: policyDto{
			IsAdministrator: u.IsAdministrator, IsDisabled: u.IsDisabled,
			EnableRemoteAccess: true, EnableAllFolders: !u.PolicySet || u.EnableAllFolders, EnabledFolders: append([]string{}, u.EnabledFolders...),
			InvalidLoginAttemptCount: u.InvalidLoginAttemptCount, LoginAttemptsBeforeLockout: lockout,
			AuthenticationProviderId: "Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider",
			PasswordResetProviderId:  "Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider",
		},
	}
}

func (s *Server) authenticateByName(a *answer, auth map[string]string, body []byte) {
	// JSON names are case-insensitive on both servers, as in encoding/json.
	// Jellyfin authenticates with Pw only (Password is a deprecated sha1
	// field it ignores); Emby documents Username and Pw.
	var req struct {
		Username string
		Pw       string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		a.text(http.StatusBadRequest, genericError)
		return
	}
	// The header names the new session's device; the servers refuse a
	// sign-in without it.
	for _, k := range []string{"Client", "Device", "DeviceId", "Version"} {
		if pair(auth, k) == "" {
			a.text(http.StatusBadRequest, genericError)
			return
		}
	}

	s.mu.Lock()
	var u *User
	for _, c := range s.users {
		if strings.EqualFold(c.Name, req.Username) {
			u = c
			break
		}
	}
	switch {
	case u == nil:
		s.mu.Unlock()
		a.text(http.StatusUnauthorized, genericError)
		return
	case u.IsDisabled:
		s.mu.Unlock()
		if s.Flavor == "jellyfin" {
			// Jellyfin: SecurityException → 403, whatever the password.
			a.text(http.StatusForbidden, genericError)
		} else {
			// Emby answers blocked access with 401 (its wiki, Parental-Control).
			a.text(http.StatusUnauthorized, genericError)
		}
		return
	case u.Password != req.Pw:
		if s.Flavor == "jellyfin" {
			u.InvalidLoginAttemptCount++
			if u.LoginAttemptsBeforeLockout > 0 && u.InvalidLoginAttemptCount >= u.LoginAttemptsBeforeLockout {
				u.IsDisabled = true
			}
		}
		s.mu.Unlock()
		a.text(http.StatusUnauthorized, genericError)
		return
	}
	u.InvalidLoginAttemptCount = 0
	deviceID := pair(auth, "DeviceId")
	// A new sign-in from the same device replaces that device's token.
	for k, tok := range s.tokens {
		if tok.userID == u.ID && tok.deviceID == deviceID {
			delete(s.tokens, k)
		}
	}
	tok := randomHex(16)
	s.tokens[tok] = token{userID: u.ID, deviceID: deviceID}
	dto := s.dto(u)
	s.mu.Unlock()

	a.json(map[string]any{
		"User": dto,
		"SessionInfo": map[string]any{
			"Id": randomHex(16), "UserId": u.ID, "UserName": u.Name,
			"Client": pair(auth, "Client"), "DeviceName": pair(auth, "Device"), "DeviceId": deviceID,
			"ApplicationVersion": pair(auth, "Version"),
		},
		"AccessToken": tok,
		"ServerId":    "mbtestserver",
	})
}

// getUser serves GET /Users/{id} (id set) and Jellyfin's GET /Users/Me.
func (s *Server) getUser(a *answer, r *http.Request, auth map[string]string, id string) {
	s.mu.Lock()
	tok := s.requestToken(r, auth)
	isAPIKey := tok == APIKey
	session, isUser := s.tokens[tok]
	if !isAPIKey && !isUser {
		s.mu.Unlock()
		a.text(http.StatusUnauthorized, "")
		return
	}
	if id == "" {
		id = session.userID
	}
	var caller *User
	if isUser {
		caller = s.users[session.userID]
	}
	u, ok := s.users[strings.ToLower(id)]
	if !ok {
		u, ok = s.users[id]
	}
	switch {
	case !ok:
		s.mu.Unlock()
		a.text(http.StatusNotFound, "User not found")
		return
	case isUser && caller != nil && caller.IsDisabled:
		s.mu.Unlock()
		if s.Flavor == "jellyfin" {
			// Jellyfin refuses a disabled user's token with SecurityException.
			a.text(http.StatusForbidden, genericError)
		} else {
			a.text(http.StatusUnauthorized, genericError)
		}
		return
	case !isAPIKey && (caller == nil || (caller.ID != u.ID && !caller.IsAdministrator)):
		s.mu.Unlock()
		a.text(http.StatusForbidden, genericError)
		return
	}
	dto := s.dto(u)
	s.mu.Unlock()
	a.json(dto)
}
