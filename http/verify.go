package http

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/authportal/authportal/domain"
)

// The forward-auth endpoint. A reverse proxy asks GET /api/auth/verify
// before each request to an app it protects (Caddy forward_auth, Traefik
// forwardAuth, nginx auth_request), passing the browser's cookies and a
// description of the original request. The answer is
//
//   - 200 with the user in headers: let the request through;
//   - 403: signed in but not allowed there (a small page says why and whom
//     to ask);
//   - 302 to APP_BASE_URL/login?rd=<the original URL> when not signed in,
//     or 401 with that URL in Location for ?mode=nginx (auth_request only
//     understands 2xx, 401 and 403).
//
// It runs in front of the middleware stack: it reads no database (the
// session and the decision come from this node's in-memory model), writes
// nothing (no session, no event, no rate-limit bucket) and logs at debug
// only, so an anonymous request costs a header check and at most one HMAC,
// and a flood of them leaves nothing behind. There is nothing guessable to
// rate-limit: a cookie is a 256-bit HMAC.
//
// Which headers describe the original request depends on the proxy, and
// each mode reads only its own: a proxy passes the client's other headers
// through to this endpoint, so a client could otherwise send an
// X-Original-URL past Caddy (or an X-Forwarded-Host past nginx) and have
// another host judged than the one it is asking for. When
// TRUSTED_PROXY_CIDRS is set, only those peers are believed at all; anyone
// else calling verify directly learns nothing but their own standing.
const verifyPath = "/api/auth/verify"

// withVerify serves verifyPath itself and hands everything else on.
func (s *Server) withVerify(next http.Handler) http.Handler {
	if s.deps.Forward == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == verifyPath {
			s.verify(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// The Remote-Groups of a user who may pass: every authorized user is in
// "users", admins also in "admins". Shared, read-only header values
// (len == cap, so an append elsewhere copies instead of writing here).
var (
	groupsUsers  = []string{"users"}
	groupsAdmins = []string{"admins,users"}
	noStore      = []string{"no-store"}
)

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	nginx := isNginxMode(r.URL.RawQuery)
	orig := s.originalRequest(r, nginx)
	claims, u, err := s.check(r.Context(), sessionCookieValue(r))
	switch {
	case err == nil && claims.Kind == domain.SessionFull:
	case err == nil || errors.Is(err, errNoSession):
		s.verifyAnonymous(w, r, nginx, orig)
		return
	default: // this node's model is behind the cookie: better "try again" than a stale answer
		s.debug(r, "forward auth: access model behind", "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, problemUnavailable, "The server is catching up. Try again in a moment.")
		return
	}
	v := s.deps.Forward.DecideForward(claims.UserID, orig.host)
	if !v.Allowed {
		s.debug(r, "forward auth: denied", "user_id", claims.UserID, "host", orig.host, "reason", string(v.Reason))
		s.verifyDenied(w, r, v, orig, u)
		return
	}
	h := w.Header()
	// One allocation for all seven headers: each name gets a one-element
	// window on the same array.
	vals := make([]string, 2)
	vals[0], vals[1] = u.Username, u.Email
	user, email := vals[0:1:1], vals[1:2:2]
	groups := groupsUsers
	if u.Admin {
		groups = groupsAdmins
	}
	h["Remote-User"], h["Remote-Name"], h["X-Forwarded-User"] = user, user, user
	h["Remote-Email"], h["X-Forwarded-Email"] = email, email
	h["Remote-Groups"], h["X-Forwarded-Groups"] = groups, groups
	h["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
}

// verifyAnonymous sends a browser without a session to the login page,
// with the way back when the original URL is one sign-in may return to.
func (s *Server) verifyAnonymous(w http.ResponseWriter, r *http.Request, nginx bool, orig forwarded) {
	login := strings.TrimSuffix(s.config.BaseURL.String(), "/") + "/login"
	if back := s.safeNext(orig.url(), ""); back != "" {
		login += "?rd=" + url.QueryEscape(back)
	}
	s.debug(r, "forward auth: not signed in", "host", orig.host)
	h := w.Header()
	h["Location"] = []string{login}
	h["Cache-Control"] = noStore
	if nginx {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusFound)
}

// debug logs a line at debug level, building nothing when that is off.
func (s *Server) debug(r *http.Request, msg string, args ...any) {
	if !s.deps.Logger.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	args = append(args, "client_ip", clientIP(r, s.config.TrustedProxies))
	s.deps.Logger.DebugContext(r.Context(), msg, args...)
}

// isNginxMode reports whether the query asks for nginx's answers
// (?mode=nginx), without parsing it in the usual case.
func isNginxMode(rawQuery string) bool {
	switch rawQuery {
	case "":
		return false
	case "mode=nginx":
		return true
	}
	q, err := url.ParseQuery(rawQuery)
	return err == nil && q.Get("mode") == "nginx"
}

// forwarded is the original request a proxy asks about.
type forwarded struct {
	method    string
	proto     string // "http" or "https"
	host      string // lower case, without port: what the model decides on
	authority string // host[:port] as the browser sent it, for the way back
	uri       string // path and query, starting with "/"
}

// url is the original request's URL, "" when it is not known.
func (f forwarded) url() string {
	if f.proto == "" || f.authority == "" {
		return ""
	}
	return f.proto + "://" + f.authority + f.uri
}

// originalRequest reads the request the proxy asks about: X-Forwarded-*
// from Caddy and Traefik, X-Original-URL and X-Original-Method from nginx.
// Anything malformed is left out: an unknown host is denied, and a
// request with no known URL goes to the login page without a way back.
func (s *Server) originalRequest(r *http.Request, nginx bool) forwarded {
	if len(s.config.TrustedProxies) > 0 && !isTrusted(peerAddr(r.RemoteAddr), s.config.TrustedProxies) {
		return forwarded{}
	}
	var f forwarded
	if nginx {
		u, err := url.Parse(r.Header.Get("X-Original-Url"))
		if err != nil || u.User != nil || u.Opaque != "" {
			return forwarded{}
		}
		f.method, f.proto, f.authority, f.uri = r.Header.Get("X-Original-Method"), strings.ToLower(u.Scheme), u.Host, u.RequestURI()
	} else {
		f.method, f.proto, f.authority, f.uri = r.Header.Get("X-Forwarded-Method"), strings.ToLower(r.Header.Get("X-Forwarded-Proto")),
			r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Uri")
	}
	if f.proto != "http" && f.proto != "https" {
		f.proto = ""
	}
	if f.uri == "" {
		f.uri = "/"
	}
	if f.uri[0] != '/' || strings.ContainsAny(f.uri, "\\\r\n\t ") {
		f.uri = ""
		f.proto = "" // no way back to a URL we cannot rebuild
	}
	var ok bool
	if f.host, ok = hostOf(f.authority); !ok {
		f.host, f.authority = "", ""
	}
	return f
}

// hostOf returns the lower-case host of a host[:port], and whether it is
// a plausible host name (letters, digits, dots, hyphens, underscores) or a
// bracketed IPv6 address.
func hostOf(authority string) (string, bool) {
	if authority == "" || len(authority) > 261 {
		return "", false
	}
	host, port := authority, ""
	if authority[0] == '[' {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", false
		}
		host, port = authority[1:end], authority[end+1:]
		for i := 0; i < len(host); i++ {
			if c := host[i]; !isHex(c) && c != ':' && c != '.' {
				return "", false
			}
		}
	} else {
		if i := strings.LastIndexByte(authority, ':'); i >= 0 {
			host, port = authority[:i], authority[i:]
		}
		upper := false
		for i := 0; i < len(host); i++ {
			c := host[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '-', c == '_':
			case 'A' <= c && c <= 'Z':
				upper = true
			default:
				return "", false
			}
		}
		if upper {
			host = strings.ToLower(host)
		}
	}
	if host == "" {
		return "", false
	}
	if port != "" {
		if port[0] != ':' || len(port) < 2 || len(port) > 6 {
			return "", false
		}
		for i := 1; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return "", false
			}
		}
	}
	return host, true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// sessionCookieValue finds the session cookie among the request's cookies
// without building every one of them (Request.Cookie does): the value
// Request.Cookie would return, without its allocations.
func sessionCookieValue(r *http.Request) string {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.TrimSpace(name) != sessionCookie {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if validCookieValue(value) {
				return value
			}
		}
	}
	return ""
}

// validCookieValue is net/http's rule for a cookie value's bytes.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}
