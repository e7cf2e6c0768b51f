package http

import (
	"net/http"
	"net/url"
	"strings"
)

// Where a browser goes after signing in. The login page takes it as
// ?next= (a path on this site) or ?rd= (the URL a proxy's verify sent the
// browser from, verify.go), carries it through the second factor as next,
// and every step checks it again with safeNext.

// maxNext is the longest place to return to; the login API takes no more
// (its next field's maxLength), so a longer one is dropped at the login
// page rather than refused at sign-in.
const maxNext = 2048

// returnParam is the request's place to return to: rd, else next.
func returnParam(r *http.Request) string {
	q := r.URL.Query()
	if rd := q.Get("rd"); rd != "" {
		return rd
	}
	return q.Get("next")
}

// safeNext accepts as a place to go after sign-in a path on this origin, or
// an http(s) URL whose host is this site's, a protected host (the access
// model's ProtectedHost) or inside SESSION_COOKIE_DOMAIN. Anything else
// ("//evil", "/\evil", another host, a look-alike of the cookie domain, a
// scheme such as javascript:, user info, a backslash or control character
// anywhere, an over-long value) becomes fallback.
func (s *Server) safeNext(next, fallback string) string {
	if next == "" || len(next) > maxNext || strings.ContainsAny(next, "\\\r\n\t ") {
		return fallback
	}
	if strings.HasPrefix(next, "/") {
		if strings.HasPrefix(next, "//") {
			return fallback
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			return fallback
		}
		return u.RequestURI()
	}
	u, err := url.Parse(next)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil {
		return fallback
	}
	host, ok := hostOf(u.Host)
	if !ok || !s.returnHost(host) {
		return fallback
	}
	return u.String()
}

// returnHost reports whether sign-in may send a browser to host (lower
// case, no port).
func (s *Server) returnHost(host string) bool {
	if host == strings.ToLower(s.config.BaseURL.Hostname()) {
		return true
	}
	if d := strings.ToLower(strings.TrimPrefix(s.config.CookieDomain, ".")); d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
		return true
	}
	if s.deps.Forward != nil {
		_, ok := s.deps.Forward.ProtectedHost(host)
		return ok
	}
	return false
}
