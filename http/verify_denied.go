package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// problemForwardDenied is verify's 403 for a client that did not ask for HTML.
var problemForwardDenied = problemKind{http.StatusForbidden, "forward-denied", "Not allowed here"}

// deniedPage is what the deny page shows. The proxy hands the page to the
// browser on the protected app's own origin, so everything it links to
// (stylesheet, logo, home page) is an absolute URL on APP_BASE_URL, and it
// carries a policy of its own that allows exactly that.
type deniedPage struct {
	Base          string // APP_BASE_URL without a trailing slash
	Theme         bool
	Logo          string
	Host          string // the app's host, "" when the proxy did not say
	Username      string
	Why           string // the reason, in plain words
	RequestEmail  string // UNAUTH_REQUEST_EMAIL: whom to ask, else the administrator
	RequestMailto string
}

// verifyDenied answers 403 for a signed-in user the rule does not let in:
// a page for browsers, saying why and whom to ask; problem JSON otherwise.
func (s *Server) verifyDenied(w http.ResponseWriter, r *http.Request, v domain.ForwardVerdict, orig forwarded, u queries.AccessUser) {
	why := deniedWhy(v.Reason, orig.host)
	h := w.Header()
	h["Cache-Control"] = noStore
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		writeProblem(w, r, problemForwardDenied, why)
		return
	}
	base := strings.TrimSuffix(s.config.BaseURL.String(), "/")
	d := deniedPage{Base: base, Theme: s.branding.has("theme.css"), Logo: s.branding.logo(), Host: orig.host,
		Username: u.Username, Why: why, RequestEmail: s.config.RequestEmail}
	if d.RequestEmail != "" {
		subject := "Access to " + orig.host
		if orig.host == "" {
			subject = "Access"
		}
		switch {
		case s.config.RequestSubject != "" && orig.host != "":
			subject = s.config.RequestSubject + " (" + orig.host + ")"
		case s.config.RequestSubject != "":
			subject = s.config.RequestSubject
		}
		d.RequestMailto = "mailto:" + d.RequestEmail + "?" + url.Values{"subject": {subject}}.Encode()
	}
	origin := origin(s.config.BaseURL)
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+origin+"; img-src "+origin+" data:; "+
		"form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	s.renderStatus(w, r, http.StatusForbidden, "forward_denied.html", d)
}

// deniedWhy says in plain words why the rule said no.
func deniedWhy(reason domain.ForwardReason, host string) string {
	app := host
	if app == "" {
		app = "this app"
	}
	switch reason {
	case domain.ReasonDenyException, domain.ReasonDenyAll:
		return "Your account is not allowed to open " + app + "."
	case domain.ReasonNotAuthorized:
		return "Your account does not have access to the apps behind this portal yet."
	case domain.ReasonDisabled:
		return "Your account is disabled."
	case domain.ReasonUnknownHost:
		return app + " is not one of the apps this portal lets people into."
	case domain.ReasonNotForwardAuth:
		return app + " is not set up to let people in through this portal."
	}
	return "Your account is not allowed to open " + app + "."
}
